import type { LiveList } from '../resource.js';
import { notFound } from '../../errors.js';
import { parseSort } from '../../http/list-query.js';
import { CustomerOrderListQuery, CustomerOrdersParams, OrderListQuery, type OrderSortField, type OrderStatus } from './schema.js';
import { orderMatches, type OrderFilters } from './repository.js';
import { ORDERS, type OrderService } from './service.js';

export const DEFAULT_SORT = [{ field: 'id' as OrderSortField, descending: false }];

/** The filters of an order list request: its query's, and the customer its path names. */
export const orderFilters = (query: { status?: OrderStatus | undefined; customerId?: number | undefined }, customerOf?: number): OrderFilters => ({
  status: query.status,
  customerId: customerOf ?? query.customerId,
});

/** GET /orders and GET /customers/{id}/orders as live queries: `/orders?status=paid`, `/customers/7/orders?q=tshirt`. */
export function orderLists(service: OrderService): LiveList[] {
  const list = (path: string, query: LiveList['query'], params: LiveList['params'], customerOf: (params: Readonly<Record<string, unknown>>) => number | undefined): LiveList => ({
    resource: ORDERS,
    path,
    query,
    params,
    select(request) {
      const customerId = customerOf(request.params);
      const filters = orderFilters(request.query as Parameters<typeof orderFilters>[0], customerId);
      const q = request.query.q as string | undefined;
      return {
        matches: orderMatches(filters, q),
        // A customer's orders are the most selective; then one status.
        index: filters.customerId !== undefined ? { field: 'customerId', value: filters.customerId } : filters.status !== undefined ? { field: 'status', value: filters.status } : undefined,
        read: async (sort, limit) => {
          const { value, position } = await service.list({ page: 1, perPage: limit, sort: parseSort<OrderSortField>(sort, DEFAULT_SORT), q, filters }, customerId);
          if (value === undefined) throw notFound(`No customer with id ${customerId}.`);
          return { value, position };
        },
      };
    },
  });
  return [list('/orders', OrderListQuery, undefined, () => undefined), list('/customers/:id/orders', CustomerOrderListQuery, CustomerOrdersParams, (params) => params.id as number)];
}
