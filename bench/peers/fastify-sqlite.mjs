/**
 * The ceiling: a bare Fastify server doing what Boutique's hot routes do at their core — a
 * primary-key read, a page with its total count, an insert returning the row — with prepared
 * better-sqlite3 statements, the same pragmas as Boutique (WAL, synchronous=NORMAL: a 201
 * survives kill -9), and nothing else: no negotiation, no validation, no ETags, no logging.
 * Usage: node fastify-sqlite.mjs <db file> <port>
 */
import Fastify from 'fastify';
import Database from 'better-sqlite3';

const [file, port] = process.argv.slice(2);
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');

const get = db.prepare('select * from customers where id = ?');
const page = db.prepare('select * from customers order by id limit ? offset ?');
const count = db.prepare('select count(*) as n from customers');
const insert = db.prepare('insert into customers (name, email, email_key, created_at, updated_at) values (?, ?, ?, ?, ?) returning *');

const app = Fastify({ logger: false });
app.get('/customers/:id', async (request, reply) => {
  const row = get.get(Number(request.params.id));
  if (!row) return reply.code(404).send({ error: 'not found' });
  return row;
});
app.get('/customers', async (request, reply) => {
  const perPage = Math.min(100, Number(request.query.per_page ?? 20));
  const n = Number(request.query.page ?? 1);
  reply.header('x-total-count', count.get().n);
  return page.all(perPage, (n - 1) * perPage);
});
app.post('/customers', async (request, reply) => {
  const { name, email } = request.body;
  const now = new Date().toISOString();
  try {
    // .all(), as Boutique runs it: .get() on INSERT … RETURNING leaves the statement holding its
    // read mark, so no WAL checkpoint ever completes — the WAL grew to 624 MB in 44,000 creates
    // and the ceiling skipped the checkpoint work that every real server pays.
    const [row] = insert.all(name, email, email.toLowerCase(), now, now);
    return reply.code(201).header('location', `/customers/${row.id}`).send(row);
  } catch {
    return reply.code(409).send({ error: 'duplicate' });
  }
});
await app.listen({ port: Number(port), host: '127.0.0.1' });
