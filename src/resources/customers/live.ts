import type { LiveList } from '../resource.js';
import { parseSort } from '../../http/list-query.js';
import { CustomerListQuery, type CustomerSortField } from './schema.js';
import { customerMatches, type CustomerFilters } from './repository.js';
import { CUSTOMERS, type CustomerService } from './service.js';

export const DEFAULT_SORT = [{ field: 'id' as CustomerSortField, descending: false }];

/** The filters of a customer list request, from its validated query: what the SQL and its mirror take. */
export const customerFilters = (query: { email?: string | undefined; name?: string | undefined }): CustomerFilters => ({ email: query.email, name: query.name });

/** GET /customers as a live query: `/customers?q=buss`, `/customers?email=…`. */
export function customerLists(service: CustomerService): LiveList[] {
  return [
    {
      resource: CUSTOMERS,
      path: '/customers',
      query: CustomerListQuery,
      select({ query }) {
        const filters = customerFilters(query as Parameters<typeof customerFilters>[0]);
        const q = query.q as string | undefined;
        return {
          matches: customerMatches(filters, q),
          index: filters.name !== undefined ? { field: 'name', value: filters.name } : undefined,
          read: async (sort, limit) => {
            const { value, position } = await service.list({ page: 1, perPage: limit, sort: parseSort<CustomerSortField>(sort, DEFAULT_SORT), q, filters });
            return { value, position };
          },
        };
      },
    },
  ];
}
