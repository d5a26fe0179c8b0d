/**
 * The REST ceilings: a bare Fastify server doing what Boutique's hot routes do at their core — a
 * primary-key read, a page with its total count, an insert returning the row — with prepared
 * better-sqlite3 statements, WAL and synchronous=NORMAL (a 201 survives kill -9, not a power cut),
 * and nothing else: no negotiation, no validation, no ETags, no logging.
 *
 * Two layouts (bench/lib/seed.mjs writes the file):
 *   minimal   its own table (rowid primary key, no unique index), the row answered as stored:
 *             the cheapest route anyone would write.
 *   boutique  Boutique's tables as its migrations create them (AUTOINCREMENT, the unique email_key
 *             index, version), answered in Boutique's JSON shape: the same work for the database,
 *             none of the framework's.
 * Usage: node fastify-sqlite.mjs <db file> <port> <minimal|boutique>
 */
import Fastify from 'fastify';
import Database from 'better-sqlite3';

const [file, port, layout] = process.argv.slice(2);
if (layout !== 'minimal' && layout !== 'boutique') throw new Error(`layout must be minimal or boutique, got ${layout}`);
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');

const present = layout === 'boutique' ? (r) => ({ id: r.id, name: r.name, email: r.email, createdAt: r.created_at, updatedAt: r.updated_at }) : (r) => r;
const get = db.prepare('select * from customers where id = ?');
const page = db.prepare('select * from customers order by id limit ? offset ?');
const count = db.prepare('select count(*) as n from customers');
const insert =
  layout === 'boutique'
    ? db.prepare('insert into customers (name, email, email_key, created_at, updated_at) values (?, ?, ?, ?, ?) returning *')
    : db.prepare('insert into customers (name, email, created_at, updated_at) values (?, ?, ?, ?) returning *');

const app = Fastify({ logger: false });
app.get('/customers/:id', async (request, reply) => {
  const row = get.get(Number(request.params.id));
  if (!row) return reply.code(404).send({ error: 'not found' });
  return present(row);
});
app.get('/customers', async (request, reply) => {
  const perPage = Math.min(100, Number(request.query.per_page ?? 20));
  const n = Number(request.query.page ?? 1);
  reply.header('x-total-count', count.get().n);
  return page.all(perPage, (n - 1) * perPage).map(present);
});
app.post('/customers', async (request, reply) => {
  const { name, email } = request.body;
  const now = new Date().toISOString();
  try {
    // .all(), as Boutique runs it: .get() on INSERT … RETURNING leaves the statement holding its
    // read mark, so no WAL checkpoint ever completes — the WAL grew to 624 MB in 44,000 creates
    // and the ceiling skipped the checkpoint work that every real server pays.
    const [row] = layout === 'boutique' ? insert.all(name, email, email.toLowerCase(), now, now) : insert.all(name, email, now, now);
    return reply.code(201).header('location', `/customers/${row.id}`).send(present(row));
  } catch {
    return reply.code(409).send({ error: 'duplicate' });
  }
});
await app.listen({ port: Number(port), host: '127.0.0.1' });
