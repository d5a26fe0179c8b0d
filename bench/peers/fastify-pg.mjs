/**
 * The PostgreSQL read ceiling: a bare Fastify route on `pg`, reading Boutique's own customers
 * table in the same database Boutique was seeded into (same rows, same layout), answered in
 * Boutique's JSON shape. A pool of 10, as Boutique's; a named (server-side prepared) statement.
 * Nothing else: no negotiation, no validation, no ETags, no logging.
 * Usage: node fastify-pg.mjs <database url> <port>
 */
import Fastify from 'fastify';
import pg from 'pg';

const [url, port] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: url, max: 10 });
pool.on('error', () => {});

const app = Fastify({ logger: false });
app.get('/customers/:id', async (request, reply) => {
  const { rows } = await pool.query({ name: 'customer-by-id', text: 'select id, name, email, created_at, updated_at from customers where id = $1', values: [Number(request.params.id)] });
  const r = rows[0];
  if (!r) return reply.code(404).send({ error: 'not found' });
  return { id: r.id, name: r.name, email: r.email, createdAt: r.created_at, updatedAt: r.updated_at };
});
await app.listen({ port: Number(port), host: '127.0.0.1' });
