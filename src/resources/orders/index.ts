import type { Resource } from '../resource.js';
import { Order, OrderInput, OrderInputForm, OrderPatch, OrderPatchForm, OrderReplace, OrderReplaceForm } from './schema.js';
import { orderMigrations } from './table.js';
import { OrderRepository } from './repository.js';
import { ORDERS, OrderService } from './service.js';
import { orderRoutes } from './routes.js';
import { orderTransfer } from './transfer.js';
import { orderLists } from './live.js';
import { CUSTOMERS } from '../customers/service.js';

/** The orders resource: its registry entry. Orders live under customers and go when their customer goes. */
export const ordersResource: Resource = {
  name: ORDERS,
  nav: { label: 'Orders', href: '/orders', description: 'Every order, filterable by status, searchable by SKU.' },
  tables: [
    { name: 'orders', identity: true },
    { name: 'order_items', identity: false },
  ],
  migrations: orderMigrations,
  schemas: [Order, OrderInput, OrderReplace, OrderPatch, OrderInputForm, OrderReplaceForm, OrderPatchForm],
  presented: Order,
  topics: [{ pattern: 'orders' }, { pattern: 'customers/{customerId}/orders', field: 'customerId' }],
  transfer: orderTransfer,
  mount(context) {
    const service = new OrderService(context.storage, new OrderRepository(context.storage), context.writes);
    return {
      service,
      routes: orderRoutes(service, context.clock),
      lists: orderLists(service),
      children: { parent: CUSTOMERS, remove: (tx, customerId) => service.removeOfCustomer(tx, customerId) },
    };
  },
};

export { OrderService } from './service.js';
