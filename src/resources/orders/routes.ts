import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound, validationFailed, type FieldError } from '../../errors.js';
import { describePath } from '../../http/methods.js';
import { POSITION_HEADER, represent } from '../../http/representation.js';
import { SEE_OTHER, redirectAfterForm } from '../../http/form-redirect.js';
import { ifMatch } from '../../http/etag.js';
import { PageCache } from '../../http/page-cache.js';
import { ItemCache } from '../../http/item-cache.js';
import type { DataClock } from '../../http/data-clock.js';
import { formFields, readBody } from '../../http/body.js';
import { pageParams, parseSort, searchText } from '../../http/list-query.js';
import {
  CustomerOrderListQuery,
  CustomerOrdersParams,
  Order,
  OrderInput,
  OrderInputForm,
  OrderListQuery,
  OrderParams,
  OrderPatch,
  OrderPatchForm,
  OrderReplace,
  OrderReplaceForm,
  type OrderItem,
  type OrderSortField,
} from './schema.js';
import { orderListView, orderView } from './views.js';
import type { OrderFilters } from './repository.js';
import { ORDERS, type OrderService } from './service.js';
import { DEFAULT_SORT, orderFilters } from './live.js';

const tags = ['orders'];
type ListQuery = { page?: number; per_page?: number; sort?: string; q?: string };

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

/** HTTP ↔ the order service: parse, call, represent. No rule of the shop lives here. */
export function orderRoutes(service: OrderService, clock: DataClock): FastifyPluginAsyncTypebox {
  return async (app) => {
    const body = readBody('order', orderFromForm);
    const one = (description: string) => ({ description, content: { 'application/json': { schema: Order } } });
    const many = { 200: { description: 'A page of orders (JSON array); Link and X-Total-Count headers', content: { 'application/json': { schema: { type: 'array', items: Order } } } } };

    const pages = new PageCache<Order>(clock);
    function list(request: FastifyRequest, reply: FastifyReply, query: ListQuery, filters: OrderFilters, customerId?: number) {
      return pages.serve(request, reply, orderListView(customerId), async () => {
        const { page, perPage } = pageParams(query);
        const sort = parseSort<OrderSortField>(query.sort, DEFAULT_SORT);
        const { value, position } = await service.list({ page, perPage, sort, q: searchText(query.q), filters }, customerId);
        if (value === undefined) throw notFound(`No customer with id ${customerId}.`);
        return { value: { items: value.items, page, perPage, total: value.total }, position };
      });
    }

    app.get('/orders', {
      config: { negotiate: 'list' },
      schema: { tags, summary: 'List all orders', querystring: OrderListQuery, responses: many },
    }, async (request, reply) => list(request, reply, request.query, orderFilters(request.query)));

    app.get('/customers/:id/orders', {
      config: { negotiate: 'list' },
      schema: { tags, summary: "List a customer's orders", params: CustomerOrdersParams, querystring: CustomerOrderListQuery, responses: many },
    }, async (request, reply) => {
      const customerId = request.params.id;
      return list(request, reply, request.query, orderFilters(request.query, customerId), customerId);
    });

    app.post('/customers/:id/orders', {
      config: { negotiate: 'resource' },
      preValidation: body,
      schema: { tags, summary: 'Create an order', params: CustomerOrdersParams, body: OrderInput, formBody: OrderInputForm, responses: { 201: one('Created; Location names it'), 303: SEE_OTHER } },
    }, async (request, reply) => {
      const { value: order, position } = await service.create(request.params.id, request.body.items);
      reply.header('location', `/customers/${order.value.customerId}/orders/${order.value.id}`);
      return redirectAfterForm(request, reply, `/customers/${order.value.customerId}/orders/${order.value.id}`, position) ?? represent(request, reply, orderView, order.value, order.version, { status: 201, position });
    });

    const items = new ItemCache<Order>(clock, ORDERS);
    app.get('/customers/:id/orders/:orderId', {
      config: { negotiate: 'resource' },
      schema: { tags, summary: 'Get an order', params: OrderParams, responses: { 200: one('The order') } },
    }, (request, reply) => items.serve(request, reply, orderView, request.params.orderId, () => service.get(request.params.id, request.params.orderId), () => notFound(`No order ${request.params.orderId} for customer ${request.params.id}.`)));

    app.put('/customers/:id/orders/:orderId', {
      config: { negotiate: 'resource' },
      preValidation: body,
      schema: { tags, summary: 'Replace an order', params: OrderParams, body: OrderReplace, formBody: OrderReplaceForm, responses: { 200: one('The order as stored') } },
    }, async (request, reply) => {
      const { value: order, position } = await service.update(request.params.id, request.params.orderId, { items: request.body.items, status: request.body.status }, ifMatch(request.headers['if-match']));
      return represent(request, reply, orderView, order.value, order.version, { position });
    });

    app.patch('/customers/:id/orders/:orderId', {
      config: { negotiate: 'resource' },
      preValidation: body,
      schema: { tags, summary: 'Change items or status (merge patch)', params: OrderParams, body: OrderPatch, formBody: OrderPatchForm, responses: { 200: one('The order as stored') } },
    }, async (request, reply) => {
      const { value: order, position } = await service.update(request.params.id, request.params.orderId, { items: request.body.items, status: request.body.status }, ifMatch(request.headers['if-match']));
      return represent(request, reply, orderView, order.value, order.version, { position });
    });

    app.delete('/customers/:id/orders/:orderId', {
      schema: { tags, summary: 'Delete an order', params: OrderParams, responses: { 204: { description: 'Deleted; no body' } } },
    }, async (request, reply) => {
      const { position } = await service.delete(request.params.id, request.params.orderId, ifMatch(request.headers['if-match']));
      return reply.code(204).header(POSITION_HEADER, position).send();
    });

    describePath(app, '/orders', ['GET'], { tags });
    describePath(app, '/customers/:id/orders', ['GET', 'POST'], { tags, params: CustomerOrdersParams });
    describePath(app, '/customers/:id/orders/:orderId', ['GET', 'PUT', 'PATCH', 'DELETE'], { tags, params: OrderParams });
  };
}
