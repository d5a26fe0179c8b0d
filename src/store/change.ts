/**
 * What a write changed, as its subscribers will see it. A resource's service returns these with
 * every write; the write path hands them on (to the change feed, and the change log) only once
 * the transaction that made them has committed.
 */
export type ChangeAction = 'created' | 'updated' | 'deleted';

/** A presented resource, as GET returns it: plain JSON. */
export type Presented = { readonly id: number } & Readonly<Record<string, unknown>>;

export interface Change {
  /** The resource's registry name: `customers`, `orders`. */
  readonly resource: string;
  readonly action: ChangeAction;
  /** The resource as GET now returns it; for `deleted`, as it was. */
  readonly data: Presented;
  /** For `updated`: the resource as it was before, so a live query can tell a row that entered or left it. */
  readonly previous?: Presented | undefined;
}
