/**
 * The crash-safety check shared by test/crash-sqlite.test.ts and test/crash-postgres.test.ts:
 * a bounded create load of customers and their orders against `boutique serve` as a real process,
 * kill -9 mid-load, restart on the same database, and compare what was acknowledged with what is there.
 */
import assert from 'node:assert/strict';
import { startServerProcess } from './process.js';

const WORKERS = 8;
const LOAD_MS = 1500;
const ITEMS = [
  { sku: 'A-1', quantity: 1, unitPrice: 100 },
  { sku: 'B-2', quantity: 2, unitPrice: 250 },
  { sku: 'C-3', quantity: 3, unitPrice: 1000 },
];
const TOTAL = 100 + 500 + 3000;

async function post(url: string, body: unknown): Promise<{ status: number; json?: { id: number } }> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: res.status === 201 ? ((await res.json()) as { id: number }) : undefined };
  } catch {
    return { status: 0 }; // the server died mid-request: not acknowledged
  }
}

async function all<T>(base: string, path: string): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; ; page++) {
    const res = await fetch(`${base}${path}?page=${page}&per_page=100`);
    const items = (await res.json()) as T[];
    out.push(...items);
    if (items.length < 100) return out;
  }
}

export interface CrashFigures {
  attempts: number;
  acknowledgedCustomers: number;
  acknowledgedOrders: number;
  foundCustomers: number;
  foundOrders: number;
}

/** `env` must name the database (DATABASE_URL); both runs log at info, where the listening line is. */
export async function killMidLoadAndCheck(label: string, env: Record<string, string>): Promise<CrashFigures> {
  // startServerProcess reads the URL from the "Server listening at" line, logged at info.
  const serverEnv = { ...env, LOG_LEVEL: 'info' };
  const first = await startServerProcess(serverEnv);
  const customers = new Set<number>();
  const orders = new Map<number, number>(); // order id → customer id
  let attempts = 0;
  let stop = false;
  const workers = Array.from({ length: WORKERS }, async (_, w) => {
    for (let n = 0; !stop; n++) {
      attempts++;
      const c = await post(`${first.url}/customers`, { name: `Crash ${w}-${n}`, email: `crash.${w}.${n}@example.org` });
      if (c.status !== 201) continue;
      customers.add(c.json!.id);
      const o = await post(`${first.url}/customers/${c.json!.id}/orders`, { items: ITEMS });
      if (o.status === 201) orders.set(o.json!.id, c.json!.id);
    }
  });
  await new Promise((r) => setTimeout(r, LOAD_MS));
  first.child.kill('SIGKILL'); // mid-load: requests are in flight
  stop = true;
  await Promise.all(workers);
  assert.equal(await first.exited, 'SIGKILL');
  assert.ok(customers.size > 20, `the load acknowledged only ${customers.size} creates`);

  const second = await startServerProcess(serverEnv);
  try {
    const found = await all<{ id: number }>(second.url, '/customers');
    const foundIds = new Set(found.map((c) => c.id));
    const lost = [...customers].filter((id) => !foundIds.has(id));
    assert.deepEqual(lost, [], 'customers acknowledged with 201 but missing after the crash');
    // At most the creates that were in flight when the process died (one per worker) may exist without an answer.
    assert.ok(found.length >= customers.size && found.length <= customers.size + WORKERS, `found ${found.length}, acknowledged ${customers.size}`);

    const foundOrders = await all<{ id: number; customerId: number; items: unknown[]; total: number }>(second.url, '/orders');
    const byId = new Map(foundOrders.map((o) => [o.id, o]));
    for (const [id, customerId] of orders) {
      const order = byId.get(id);
      assert.ok(order, `order ${id} acknowledged but missing`);
      assert.equal(order.customerId, customerId);
    }
    assert.ok(foundOrders.length <= orders.size + WORKERS, `found ${foundOrders.length} orders, acknowledged ${orders.size}`);
    for (const order of foundOrders) {
      assert.equal(order.items.length, 3, `order ${order.id} is half-written`);
      assert.equal(order.total, TOTAL);
    }
    const figures = { attempts, acknowledgedCustomers: customers.size, acknowledgedOrders: orders.size, foundCustomers: found.length, foundOrders: foundOrders.length };
    console.log(`# crash (${label}): ${attempts} customer creates attempted, ${customers.size} customers and ${orders.size} orders acknowledged, ${found.length} customers and ${foundOrders.length} orders found after restart`);
    return figures;
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
}
