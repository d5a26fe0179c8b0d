/**
 * Realistic sample data for `boutique seed`, as the same records `import` reads: seeding is an
 * import of generated lines, so it is batched, transactional and sequence-safe on both dialects.
 * The same --seed on the same database gives the same shop.
 */
import type { CustomerLine } from '../resources/customers/transfer.js';
import type { OrderLine } from '../resources/orders/transfer.js';
import { EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, PRODUCTS, STATUS_WEIGHTS } from './sample-data.js';
import type { OrderStatus } from '../resources/orders/schema.js';

export interface SeedOptions {
  customers: number;
  /** Exactly this many orders per customer; undefined: 0 to 4, 2 on average. */
  ordersPerCustomer?: number | undefined;
  seed: number;
  /** The shop's "now": customers arrive over the year before it. */
  now: Date;
  /** Ids already used; generated ones follow. */
  after: { customer: number; order: number };
}

/** mulberry32: tiny, fast, good enough for sample data, and the same on every platform. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

/** Customers with their orders right after them, ids ascending with time. */
export function* seedLines(options: SeedOptions): Generator<CustomerLine | OrderLine> {
  const rnd = random(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const totalWeight = STATUS_WEIGHTS.reduce((s, [, w]) => s + w, 0);
  const status = (): OrderStatus => {
    let r = rnd() * totalWeight;
    for (const [name, weight] of STATUS_WEIGHTS) if ((r -= weight) < 0) return name;
    return 'shipped';
  };
  const end = options.now.getTime();
  const step = YEAR_MS / Math.max(options.customers, 1);
  let orderId = options.after.order;
  for (let n = 0; n < options.customers; n++) {
    const id = options.after.customer + n + 1;
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const created = end - YEAR_MS + n * step + rnd() * step;
    const local = `${first}.${last}`.toLowerCase().normalize('NFKD').replace(/[^a-z0-9.]+/g, '');
    const customer: CustomerLine = {
      type: 'customer',
      id,
      name: `${first} ${last}`,
      // The id keeps addresses unique however many customers share a name.
      email: `${local}${id}@${pick(EMAIL_DOMAINS)}`,
      version: 1,
      createdAt: new Date(created).toISOString(),
      updatedAt: new Date(created).toISOString(),
    };
    yield customer;
    const count = options.ordersPerCustomer ?? Math.floor(rnd() * 5);
    for (let k = 0; k < count; k++) {
      const placed = created + rnd() * (end - created);
      const items = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => {
        const product = pick(PRODUCTS);
        return { sku: product.sku, quantity: 1 + Math.floor(rnd() * rnd() * 4), unitPrice: product.unitPrice };
      });
      const s = status();
      const updated = s === 'pending' ? placed : placed + rnd() * Math.min(end - placed, 14 * 24 * 3600 * 1000);
      const order: OrderLine = {
        type: 'order',
        id: ++orderId,
        customerId: id,
        status: s,
        total: items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0),
        items,
        // pending → paid → shipped: each step was one write.
        version: { pending: 1, paid: 2, shipped: 3, cancelled: 2 }[s],
        createdAt: new Date(placed).toISOString(),
        updatedAt: new Date(updated).toISOString(),
      };
      yield order;
    }
  }
}
