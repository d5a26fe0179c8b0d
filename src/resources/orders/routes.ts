import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BoutiqueError, notFound, validationFailed, type FieldError } from '../../errors.js';
import { describePath } from '../../http/methods.js';
import { represent } from '../../http/representation.js';
import { redirectAfterForm } from '../../http/form-redirect.js';
import { assertIfMatch } from '../../http/etag.js';
import { PageCache } from '../../http/page-cache.js';
import { formFields, readBody } from '../../http/body.js';
import { pageParams, parseSort, searchText } from '../../http/list-query.js';
import {
  CustomerOrderListQuery,
  CustomerOrdersParams,
  Order,
  OrderInput,
  OrderListQuery,
  OrderParams,
  OrderPatch,
  OrderReplace,
  type OrderItem,
  type OrderSortField,
  type OrderStatus,
} from './schema.js';
import { orderTopics, orderVersion, presentOrder } from './presenter.js';
import { orderListView, orderView } from './views.js';
import type { OrderFilters, OrderRecord } from './store.js';

const tags = ['orders'];
type ListQuery = { page?: number; per_page?: number; sort?: string; q?: string };
const DEFAULT_SORT = [{ field: 'id' as OrderSortField, descending: false }];

/**
 * An HTML form sends items as lines of "sku quantity unitPrice"; they become the JSON array the
 * schema validates (a malformed line is a 422 naming it).
 */
function orderFromForm(form: Record<string, unknown>): Record<string, unknown> {
  const out = formFields(form, ['status', 'items']);
  if (typeof out.items === 'string') {
    const errors: FieldError[] = [];
    const items: OrderItem[] = [];
    out.items
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .forEach((line, i) => {
        const m = /^(\S+)[\s,;]+(\d+)[\s,;]+(\d+)$/.exec(line);
        if (!m) errors.push({ field: `items/${i}`, message: `"${line}" is not "sku quantity unitPriceInCents"` });
        else items.push({ sku: m[1]!, quantity: Number(m[2]), unitPrice: Number(m[3]) });
      });
    if (errors.length) throw validationFailed(errors);
    out.items = items;
  }
  return out;
}

function settle(result: OrderRecord | 'stale' | undefined, orderId: number): OrderRecord {
  if (result === undefined) throw notFound(`No order ${orderId} for this customer.`);
  if (result === 'stale') throw new BoutiqueError('PRECONDITION_FAILED', 'The order changed since the ETag you sent; fetch it again and retry.');
  return result;
}

export const orderRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, feed } = app.services;
  const body = readBody('order', orderFromForm);
  const one = (description: string) => ({ description, content: { 'application/json': { schema: Order } } });
  const many = { 200: { description: 'A page of orders (JSON array); Link and X-Total-Count headers', content: { 'application/json': { schema: { type: 'array', items: Order } } } } };

  const pages = new PageCache<Order>(() => store.changes());
  function list(request: FastifyRequest, reply: FastifyReply, query: ListQuery, filters: OrderFilters, customerId?: number) {
    return pages.serve(request, reply, orderListView(customerId), async () => {
      const { page, perPage } = pageParams(query);
      const sort = parseSort<OrderSortField>(query.sort, DEFAULT_SORT);
      const { rows, total } = await store.orders.list({ page, perPage, sort, q: searchText(query.q), filters });
      return { items: rows.map(presentOrder), page, perPage, total };
    });
  }

  app.get('/orders', {
    config: { negotiate: 'list' },
    schema: { tags, summary: 'List all orders', querystring: OrderListQuery, responses: many },
  }, async (request, reply) => list(request, reply, request.query, { status: request.query.status, customerId: request.query.customerId }));

  app.get('/customers/:id/orders', {
    config: { negotiate: 'list' },
    schema: { tags, summary: "List a customer's orders", params: CustomerOrdersParams, querystring: CustomerOrderListQuery, responses: many },
  }, async (request, reply) => {
    const customerId = request.params.id;
    if (!(await store.customers.get(customerId))) throw notFound(`No customer with id ${customerId}.`);
    return list(request, reply, request.query, { customerId, status: request.query.status }, customerId);
  });

  app.post('/customers/:id/orders', {
    config: { negotiate: 'resource' },
    preValidation: body,
    schema: { tags, summary: 'Create an order', params: CustomerOrdersParams, body: OrderInput, responses: { 201: one('Created; Location names it') } },
  }, async (request, reply) => {
    const customerId = request.params.id;
    const record = await store.orders.create(customerId, request.body.items);
    if (!record) throw notFound(`No customer with id ${customerId}.`);
    const order = presentOrder(record);
    void feed.publish(orderTopics(order), 'created', order);
    reply.header('location', `/customers/${customerId}/orders/${record.id}`);
    return redirectAfterForm(request, reply, `/customers/${customerId}/orders/${record.id}`) ?? represent(request, reply, orderView, order, orderVersion(record), { status: 201 });
  });

  app.get('/customers/:id/orders/:orderId', {
    config: { negotiate: 'resource' },
    schema: { tags, summary: 'Get an order', params: OrderParams, responses: { 200: one('The order') } },
  }, async (request, reply) => {
    const record = await store.orders.get(request.params.id, request.params.orderId);
    if (!record) throw notFound(`No order ${request.params.orderId} for customer ${request.params.id}.`);
    return represent(request, reply, orderView, presentOrder(record), orderVersion(record));
  });

  async function change(params: { id: number; orderId: number }, ifMatch: string | undefined, changes: { items?: OrderItem[]; status?: OrderStatus }) {
    let version: number | undefined;
    if (ifMatch !== undefined) {
      const current = await store.orders.get(params.id, params.orderId);
      if (!current) throw notFound(`No order ${params.orderId} for customer ${params.id}.`);
      assertIfMatch(ifMatch, orderVersion(current));
      version = current.version;
    }
    const record = settle(await store.orders.update(params.id, params.orderId, changes, version), params.orderId);
    const order = presentOrder(record);
    void feed.publish(orderTopics(order), 'updated', order);
    return { record, order };
  }

  app.put('/customers/:id/orders/:orderId', {
    config: { negotiate: 'resource' },
    preValidation: body,
    schema: { tags, summary: 'Replace an order', params: OrderParams, body: OrderReplace, responses: { 200: one('The order as stored') } },
  }, async (request, reply) => {
    const { record, order } = await change(request.params, request.headers['if-match'], { items: request.body.items, status: request.body.status });
    return represent(request, reply, orderView, order, orderVersion(record));
  });

  app.patch('/customers/:id/orders/:orderId', {
    config: { negotiate: 'resource' },
    preValidation: body,
    schema: { tags, summary: 'Change items or status (merge patch)', params: OrderParams, body: OrderPatch, responses: { 200: one('The order as stored') } },
  }, async (request, reply) => {
    const { record, order } = await change(request.params, request.headers['if-match'], { items: request.body.items, status: request.body.status });
    return represent(request, reply, orderView, order, orderVersion(record));
  });

  app.delete('/customers/:id/orders/:orderId', {
    schema: { tags, summary: 'Delete an order', params: OrderParams, responses: { 204: { description: 'Deleted; no body' } } },
  }, async (request, reply) => {
    const { id, orderId } = request.params;
    let version: number | undefined;
    const ifMatch = request.headers['if-match'];
    if (ifMatch !== undefined) {
      const current = await store.orders.get(id, orderId);
      if (!current) throw notFound(`No order ${orderId} for customer ${id}.`);
      assertIfMatch(ifMatch, orderVersion(current));
      version = current.version;
    }
    const record = settle(await store.orders.delete(id, orderId, version), orderId);
    const order = presentOrder(record);
    void feed.publish(orderTopics(order), 'deleted', order);
    return reply.code(204).send();
  });

  describePath(app, '/orders', ['GET'], { tags });
  describePath(app, '/customers/:id/orders', ['GET', 'POST'], { tags, params: CustomerOrdersParams });
  describePath(app, '/customers/:id/orders/:orderId', ['GET', 'PUT', 'PATCH', 'DELETE'], { tags, params: OrderParams });
};
