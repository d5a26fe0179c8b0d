/** What a repository needs to read one page of a list; the HTTP layer builds it from the query string. */
export interface SortKey<F extends string = string> {
  field: F;
  descending: boolean;
}

export interface ListParams<F extends string = string, Filters = Record<string, unknown>> {
  page: number;
  perPage: number;
  sort: SortKey<F>[];
  q: string | undefined;
  filters: Filters;
}

/** A LIKE pattern for a search: `%` and `_` are literal in what a user types, not wildcards. */
export const likePattern = (q: string): string => '%' + q.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%';
