import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound } from '../../errors.js';
import { describePath } from '../../http/methods.js';
import { POSITION_HEADER, represent } from '../../http/representation.js';
import { SEE_OTHER, redirectAfterForm } from '../../http/form-redirect.js';
import { ifMatch } from '../../http/etag.js';
import { PageCache } from '../../http/page-cache.js';
import { ItemCache } from '../../http/item-cache.js';
import type { DataClock } from '../../http/data-clock.js';
import { formFields, readBody } from '../../http/body.js';
import { pageParams, parseSort, searchText } from '../../http/list-query.js';
import { Customer, CustomerInput, CustomerListQuery, CustomerParams, CustomerPatch, type CustomerSortField } from './schema.js';
import { customerListView, customerView } from './views.js';
import { CUSTOMERS, type CustomerService } from './service.js';
import { DEFAULT_SORT, customerFilters } from './live.js';

const tags = ['customers'];

/** HTTP ↔ the customer service: parse, call, represent. No rule of the shop lives here. */
export function customerRoutes(service: CustomerService, clock: DataClock): FastifyPluginAsyncTypebox {
  return async (app) => {
    const body = readBody('customer', (form) => formFields(form, ['name', 'email']));
    const pages = new PageCache<Customer>(clock);
    const response = (description: string) => ({ description, content: { 'application/json': { schema: Customer } } });
    const duplicate = { description: 'Another customer has this email (ignoring case)' };

    app.get('/customers', {
      config: { negotiate: 'list' },
      schema: { tags, summary: 'List customers', querystring: CustomerListQuery, responses: { 200: { description: 'A page of customers (JSON array); Link and X-Total-Count headers', content: { 'application/json': { schema: { type: 'array', items: Customer } } } } } },
    }, async (request, reply) =>
      pages.serve(request, reply, customerListView, async () => {
        const { page, perPage } = pageParams(request.query);
        const sort = parseSort<CustomerSortField>(request.query.sort, DEFAULT_SORT);
        const { value, position } = await service.list({ page, perPage, sort, q: searchText(request.query.q), filters: customerFilters(request.query) });
        return { value: { items: value.items, page, perPage, total: value.total }, position };
      }));

    app.post('/customers', {
      config: { negotiate: 'resource' },
      preValidation: body,
      schema: { tags, summary: 'Create a customer', body: CustomerInput, responses: { 201: response('Created; Location names it'), 303: SEE_OTHER, 409: duplicate } },
    }, async (request, reply) => {
      const { value: customer, position } = await service.create({ name: request.body.name, email: request.body.email });
      reply.header('location', `/customers/${customer.value.id}`);
      return redirectAfterForm(request, reply, `/customers/${customer.value.id}`, position) ?? represent(request, reply, customerView, customer.value, customer.version, { status: 201, position });
    });

    const items = new ItemCache<Customer>(clock, CUSTOMERS);
    app.get('/customers/:id', {
      config: { negotiate: 'resource' },
      schema: { tags, summary: 'Get a customer', params: CustomerParams, responses: { 200: response('The customer') } },
    }, (request, reply) => items.serve(request, reply, customerView, request.params.id, () => service.get(request.params.id), () => notFound(`No customer with id ${request.params.id}.`)));

    const update = {
      config: { negotiate: 'resource' as const },
      preValidation: body,
    };

    app.put('/customers/:id', {
      ...update,
      schema: { tags, summary: 'Replace a customer', params: CustomerParams, body: CustomerInput, responses: { 200: response('The customer as stored'), 409: duplicate } },
    }, async (request, reply) => {
      const { value: customer, position } = await service.update(request.params.id, { name: request.body.name, email: request.body.email }, ifMatch(request.headers['if-match']));
      return represent(request, reply, customerView, customer.value, customer.version, { position });
    });

    app.patch('/customers/:id', {
      ...update,
      schema: { tags, summary: 'Change some fields of a customer (merge patch)', params: CustomerParams, body: CustomerPatch, responses: { 200: response('The customer as stored'), 409: duplicate } },
    }, async (request, reply) => {
      const { name, email } = request.body;
      const { value: customer, position } = await service.update(request.params.id, { ...(name !== undefined ? { name } : {}), ...(email !== undefined ? { email } : {}) }, ifMatch(request.headers['if-match']));
      return represent(request, reply, customerView, customer.value, customer.version, { position });
    });

    app.delete('/customers/:id', {
      schema: { tags, summary: 'Delete a customer and their orders', params: CustomerParams, responses: { 204: { description: 'Deleted; no body' } } },
    }, async (request, reply) => {
      const { position } = await service.delete(request.params.id, ifMatch(request.headers['if-match']));
      return reply.code(204).header(POSITION_HEADER, position).send();
    });

    describePath(app, '/customers', ['GET', 'POST'], { tags });
    describePath(app, '/customers/:id', ['GET', 'PUT', 'PATCH', 'DELETE'], { tags, params: CustomerParams });
  };
}
