/**
 * The same 1,000 customers and 5,000 orders for every REST server: a db.json for json-server,
 * rows inserted with better-sqlite3 for the bare ceiling, and POSTs through Boutique's own API
 * (so Boutique's rows are exactly what its validation and store write).
 */
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';

export const CUSTOMERS = 1000;
export const ORDERS_PER_CUSTOMER = 5;
const CREATED = '2024-05-01T12:00:00.000Z';

export function generate() {
  const customers = [];
  const orders = [];
  for (let id = 1; id <= CUSTOMERS; id++) {
    customers.push({ id, name: `Customer ${id}`, email: `customer${id}@shop.example`, createdAt: CREATED, updatedAt: CREATED });
    for (let k = 0; k < ORDERS_PER_CUSTOMER; k++) {
      const items = [{ sku: `SKU-${(id * 7 + k) % 97}`, quantity: 1 + (k % 3), unitPrice: 500 + ((id + k) % 50) * 100 }];
      orders.push({
        id: orders.length + 1,
        customerId: id,
        items,
        total: items.reduce((s, i) => s + i.quantity * i.unitPrice, 0),
        status: 'pending',
        createdAt: CREATED,
        updatedAt: CREATED,
      });
    }
  }
  return { customers, orders };
}

export function writeJsonServerDb(file, data) {
  writeFileSync(file, JSON.stringify({ customers: data.customers, orders: data.orders }));
}

/**
 * The tables of the two ceilings (bench/peers/fastify-sqlite.mjs). `boutique` is what
 * src/store/migrations.ts creates on SQLite (AUTOINCREMENT ids, the unique email_key, versions,
 * order_items keyed by order and position); `minimal` is the table a bare route would have of its
 * own: a rowid key and the columns it answers, no unique index.
 */
const LAYOUTS = {
  boutique: `
    create table customers (id integer primary key autoincrement, name text not null, email text not null,
      email_key text not null unique, version integer not null default 1, created_at text not null, updated_at text not null);
    create table orders (id integer primary key autoincrement, customer_id integer not null references customers(id) on delete cascade,
      status text not null, total bigint not null, version integer not null default 1, created_at text not null, updated_at text not null);
    create index orders_customer_id on orders(customer_id);
    create table order_items (order_id integer not null references orders(id) on delete cascade, position integer not null,
      sku text not null, quantity integer not null, unit_price bigint not null, constraint order_items_pk primary key (order_id, position));
  `,
  minimal: `
    create table customers (id integer primary key, name text not null, email text not null, created_at text not null, updated_at text not null);
    create table orders (id integer primary key, customer_id integer not null, status text not null, total integer not null,
      created_at text not null, updated_at text not null);
    create table order_items (order_id integer not null, position integer not null, sku text not null, quantity integer not null, unit_price integer not null);
  `,
};

/** A SQLite file for a ceiling, WAL, with the same 1,000 customers and 5,000 orders in `layout`. */
export function writeBareDb(file, data, layout) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(LAYOUTS[layout]);
  const c =
    layout === 'boutique'
      ? db.prepare('insert into customers (id, name, email, email_key, created_at, updated_at) values (?, ?, ?, ?, ?, ?)')
      : db.prepare('insert into customers (id, name, email, created_at, updated_at) values (?, ?, ?, ?, ?)');
  const o = db.prepare('insert into orders (id, customer_id, status, total, created_at, updated_at) values (?, ?, ?, ?, ?, ?)');
  const i = db.prepare('insert into order_items (order_id, position, sku, quantity, unit_price) values (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const x of data.customers) {
      if (layout === 'boutique') c.run(x.id, x.name, x.email, x.email.toLowerCase(), x.createdAt, x.updatedAt);
      else c.run(x.id, x.name, x.email, x.createdAt, x.updatedAt);
    }
    for (const x of data.orders) {
      o.run(x.id, x.customerId, x.status, x.total, x.createdAt, x.updatedAt);
      x.items.forEach((it, n) => i.run(x.id, n, it.sku, it.quantity, it.unitPrice));
    }
  })();
  db.close();
}

/** A consistent copy of a live WAL database (Boutique's seeded file, for a second instance). */
export async function copyDb(from, to) {
  const db = new Database(from, { readonly: true });
  try {
    await db.backup(to);
  } finally {
    db.close();
  }
}

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`seeding ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function parallel(items, width, work) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/**
 * Customers first, in id order (so ids are 1…1000 as in the other servers), then their orders
 * (left out with `customersOnly`: a quick run of a read-only scenario does not need them).
 */
export async function seedBoutique(origin, data, { customersOnly = false } = {}) {
  for (const c of data.customers) {
    const created = await post(`${origin}/customers`, { name: c.name, email: c.email });
    if (created.id !== c.id) throw new Error(`seeding Boutique: expected customer id ${c.id}, got ${created.id}`);
  }
  if (customersOnly) return;
  await parallel(data.orders, 8, (o) => post(`${origin}/customers/${o.customerId}/orders`, { items: o.items }));
}

export function countRows(file, table) {
  const db = new Database(file, { readonly: false });
  try {
    return db.prepare(`select count(*) as n from ${table}`).get().n;
  } finally {
    db.close();
  }
}
