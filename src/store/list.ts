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

/**
 * The form of a text that search compares: lower case, by JavaScript's full Unicode rules. Text is
 * folded here, never by the database (SQLite's lower() folds ASCII only, PostgreSQL's follows the
 * database's locale), for the stored search keys and for the search alike — so a search matches
 * the same rows on SQLite and PostgreSQL, and a live query (src/live/queries.ts) can tell, in
 * JavaScript, exactly which rows the SQL would list.
 */
export const searchKey = (text: string): string => text.toLowerCase();

/**
 * The searchKey of `text`, kept on `row` itself (under a symbol, invisible to JSON): a live
 * query's matcher folds a change's fields once, however many distinct queries look at them
 * (src/live/subscriptions.ts).
 */
export function searchKeyOf(row: object, field: string, text: string): string {
  const keys = ((row as Folded)[FOLDED] ??= {});
  return (keys[field] ??= searchKey(text));
}
const FOLDED = Symbol('folded');
type Folded = { [FOLDED]?: Record<string, string> };

/** A LIKE pattern for a search: `%` and `_` are literal in what a user types, not wildcards. */
export const likePattern = (q: string): string => '%' + searchKey(q).replace(/[\\%_]/g, (c) => '\\' + c) + '%';
