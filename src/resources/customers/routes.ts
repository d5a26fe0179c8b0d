import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BoutiqueError, UniqueViolationError, notFound } from '../../errors.js';
import { describePath } from '../../http/methods.js';
import { represent } from '../../http/representation.js';
import { redirectAfterForm } from '../../http/form-redirect.js';
import { assertIfMatch } from '../../http/etag.js';
import { PageCache } from '../../http/page-cache.js';
import { formFields, readBody } from '../../http/body.js';
import { pageParams, parseSort, searchText } from '../../http/list-query.js';
import { Customer, CustomerInput, CustomerListQuery, CustomerParams, CustomerPatch, type CustomerSortField } from './schema.js';
import { customerVersion, presentCustomer } from './presenter.js';
import { customerListView, customerView } from './views.js';
import { orderTopics, presentOrder } from '../orders/presenter.js';
import type { CustomerRow, Stale } from './store.js';

const topicsOf = (id: number) => ['customers', `customers/${id}`];
const tags = ['customers'];

/** Reads the version an If-Match names so the store can refuse a stale write atomically. */
function expectedVersion(header: string | undefined, current: CustomerRow): number | undefined {
  if (header === undefined) return undefined;
  assertIfMatch(header, customerVersion(current));
  return current.version;
}

function conflict(err: unknown): never {
  if (err instanceof UniqueViolationError) {
    throw new BoutiqueError('CONFLICT', 'A customer with this email already exists.', { errors: [{ field: 'email', message: 'is already in use' }] });
  }
  throw err;
}

function unwrap(result: CustomerRow | Stale | undefined, id: number): CustomerRow {
  if (result === undefined) throw notFound(`No customer with id ${id}.`);
  if (result === 'stale') throw new BoutiqueError('PRECONDITION_FAILED', 'The customer changed since the ETag you sent; fetch it again and retry.');
  return result;
}

export const customerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, feed } = app.services;
  const body = readBody('customer', (form) => formFields(form, ['name', 'email']));
  const pages = new PageCache<Customer>(() => store.changes());
  const response = (description: string) => ({ description, content: { 'application/json': { schema: Customer } } });

  app.get('/customers', {
    config: { negotiate: 'list' },
    schema: { tags, summary: 'List customers', querystring: CustomerListQuery, responses: { 200: { description: 'A page of customers (JSON array); Link and X-Total-Count headers', content: { 'application/json': { schema: { type: 'array', items: Customer } } } } } },
  }, async (request, reply) =>
    pages.serve(request, reply, customerListView, async () => {
      const { page, perPage } = pageParams(request.query);
      const sort = parseSort<CustomerSortField>(request.query.sort, [{ field: 'id', descending: false }]);
      const { rows, total } = await store.customers.list({ page, perPage, sort, q: searchText(request.query.q), filters: { email: request.query.email, name: request.query.name } });
      return { items: rows.map(presentCustomer), page, perPage, total };
    }));

  app.post('/customers', {
    config: { negotiate: 'resource' },
    preValidation: body,
    schema: { tags, summary: 'Create a customer', body: CustomerInput, responses: { 201: response('Created; Location names it') } },
  }, async (request, reply) => {
    const row = await store.customers.create({ name: request.body.name.trim(), email: request.body.email }).catch(conflict);
    const customer = presentCustomer(row);
    void feed.publish(topicsOf(row.id), 'created', customer);
    reply.header('location', `/customers/${row.id}`);
    return redirectAfterForm(request, reply, `/customers/${row.id}`) ?? represent(request, reply, customerView, customer, customerVersion(row), { status: 201 });
  });

  app.get('/customers/:id', {
    config: { negotiate: 'resource' },
    schema: { tags, summary: 'Get a customer', params: CustomerParams, responses: { 200: response('The customer') } },
  }, (request, reply) =>
    // A promise chain rather than an async function: one promise less on the hottest read.
    store.customers.get(request.params.id).then((row) => {
      if (!row) throw notFound(`No customer with id ${request.params.id}.`);
      return represent(request, reply, customerView, presentCustomer(row), customerVersion(row));
    }));

  const write = async (request: { params: { id: number }; body: { name?: string; email?: string }; headers: Record<string, string | string[] | undefined> }) => {
    const id = request.params.id;
    const current = await store.customers.get(id);
    if (!current) throw notFound(`No customer with id ${id}.`);
    const ifMatch = request.headers['if-match'];
    const version = expectedVersion(typeof ifMatch === 'string' ? ifMatch : undefined, current);
    const fields = { ...(request.body.name !== undefined ? { name: request.body.name.trim() } : {}), ...(request.body.email !== undefined ? { email: request.body.email } : {}) };
    const row = unwrap(await store.customers.update(id, fields, version).catch(conflict), id);
    const customer = presentCustomer(row);
    void feed.publish(topicsOf(id), 'updated', customer);
    return { row, customer };
  };

  app.put('/customers/:id', {
    config: { negotiate: 'resource' },
    preValidation: body,
    schema: { tags, summary: 'Replace a customer', params: CustomerParams, body: CustomerInput, responses: { 200: response('The customer as stored') } },
  }, async (request, reply) => {
    const { row, customer } = await write(request);
    return represent(request, reply, customerView, customer, customerVersion(row));
  });

  app.patch('/customers/:id', {
    config: { negotiate: 'resource' },
    preValidation: body,
    schema: { tags, summary: 'Change some fields of a customer (merge patch)', params: CustomerParams, body: CustomerPatch, responses: { 200: response('The customer as stored') } },
  }, async (request, reply) => {
    const { row, customer } = await write(request);
    return represent(request, reply, customerView, customer, customerVersion(row));
  });

  app.delete('/customers/:id', {
    schema: { tags, summary: 'Delete a customer and their orders', params: CustomerParams, responses: { 204: { description: 'Deleted; no body' } } },
  }, async (request, reply) => {
    const id = request.params.id;
    let version: number | undefined;
    const ifMatch = request.headers['if-match'];
    if (ifMatch !== undefined) {
      const current = await store.customers.get(id);
      if (!current) throw notFound(`No customer with id ${id}.`);
      version = expectedVersion(ifMatch, current);
    }
    const result = await store.customers.delete(id, version);
    if (result === undefined) throw notFound(`No customer with id ${id}.`);
    if (result === 'stale') throw new BoutiqueError('PRECONDITION_FAILED', 'The customer changed since the ETag you sent; fetch it again and retry.');
    for (const order of result.orders) {
      const presented = presentOrder(order);
      void feed.publish(orderTopics(presented), 'deleted', presented);
    }
    void feed.publish(topicsOf(id), 'deleted', presentCustomer(result.customer));
    return reply.code(204).send();
  });

  describePath(app, '/customers', ['GET', 'POST'], { tags });
  describePath(app, '/customers/:id', ['GET', 'PUT', 'PATCH', 'DELETE'], { tags, params: CustomerParams });
};
