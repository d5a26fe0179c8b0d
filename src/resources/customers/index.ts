import type { Resource } from '../resource.js';
import { Customer, CustomerInput, CustomerPatch } from './schema.js';
import { customerMigrations } from './table.js';
import { CustomerRepository } from './repository.js';
import { CUSTOMERS, CustomerService } from './service.js';
import { customerRoutes } from './routes.js';
import { customerTransfer } from './transfer.js';
import { customerLists } from './live.js';

/** The customers resource: its registry entry. */
export const customersResource: Resource = {
  name: CUSTOMERS,
  nav: { label: 'Customers', href: '/customers', description: 'The REST API, browsable: GET, POST, PUT, PATCH, DELETE with forms.' },
  tables: [{ name: 'customers', identity: true }],
  migrations: customerMigrations,
  schemas: [Customer, CustomerInput, CustomerPatch],
  presented: Customer,
  topics: [{ pattern: 'customers' }, { pattern: 'customers/{id}', field: 'id' }],
  transfer: customerTransfer,
  mount(context) {
    const service = new CustomerService(context.storage, new CustomerRepository(context.storage), context.writes, context.deleteChildren);
    return { service, routes: customerRoutes(service, context.clock), lists: customerLists(service) };
  },
};

export { CustomerService } from './service.js';
