import type { FastifyPluginAsync } from 'fastify';
import type { TObject, TSchema } from 'typebox';
import type { Change, Presented } from '../store/change.js';
import type { MigrationSet } from '../store/migrations.js';
import type { Connection, Positioned, Storage } from '../store/types.js';
import type { WritePath, WriteTx } from '../store/write-path.js';
import type { DataClock } from '../http/data-clock.js';

/**
 * What the app knows of a resource: everything that must know every resource (auth, caches,
 * topics, the change feed, export and import, OpenAPI, the pages' navigation) reads it from
 * entries of this shape in the registry (src/resources/registry.ts), never from a list of its own.
 * A new resource is a folder with one of these and one line in the registry.
 */
export interface Resource {
  /** Plural, as in its paths, its change events and its collection topic: `customers`. */
  readonly name: string;
  /** Its entry in the pages' navigation and on the home page. */
  readonly nav?: NavItem | undefined;
  /** Its tables, parents before children; `identity`: the id column is assigned by the database. */
  readonly tables: readonly TableInfo[];
  readonly migrations: MigrationSet;
  /** Schemas with an `$id`, shared by its routes: OpenAPI lists each once under components. */
  readonly schemas: readonly TSchema[];
  /**
   * The JSON its GET returns, which its change events carry too (one of `schemas`): the AsyncAPI
   * document references it in every event of its topics. Absent: described as an object with an id.
   */
  readonly presented?: TSchema | undefined;
  /** What a client may subscribe to for this resource's changes (WebSocket `subscribe`, SSE `topic`). */
  readonly topics: readonly TopicTemplate[];
  /** Its lines in `boutique export` / `import`. */
  readonly transfer?: TransferFormat | undefined;
  /** Builds its repository and service on the app's storage and write path. */
  mount(context: ResourceContext): MountedResource;
}

export interface NavItem {
  label: string;
  href: string;
  description: string;
}

export interface TableInfo {
  name: string;
  identity: boolean;
}

/**
 * A topic is the REST path of what it watches: `customers` (the list), `customers/{id}` (one
 * customer), `customers/{customerId}/orders` (a nested list). At most one placeholder, an integer
 * id compared with `field` of the presented resource; the REST URL to refetch is `/` + the topic.
 */
export interface TopicTemplate {
  readonly pattern: string;
  /** The field of the presented resource a placeholder selects on; absent for a whole collection. */
  readonly field?: string | undefined;
}

export interface ResourceContext {
  readonly storage: Storage;
  readonly writes: WritePath;
  /**
   * Deletes, in `tx`, the rows of every resource whose parent is `parent` and that belong to its
   * row `id`, and returns what they were: a customer's deletion takes its orders with it without
   * customers knowing that orders exist.
   */
  deleteChildren(tx: WriteTx, parent: string, id: number): Promise<Change[]>;
  /** When a cache of representations may answer a read (src/http/data-clock.ts). */
  readonly clock: DataClock;
}

export interface MountedResource {
  /** Its HTTP routes. */
  readonly routes: FastifyPluginAsync;
  /** The service, for tests and for other transports (typed by the resource's own module). */
  readonly service: unknown;
  /** Its REST lists, as live queries (WebSocket `subscribe` with `query`, SSE /events/<list>). */
  readonly lists?: readonly LiveList[] | undefined;
  /** Set when its rows live under a row of `parent` and go when that row goes. */
  readonly children?: { readonly parent: string; remove(tx: WriteTx, parentId: number): Promise<Change[]> } | undefined;
}

/** One record of an export file: a JSON object with a `type` naming its resource's line. */
export type TransferLine = { readonly type: string } & Readonly<Record<string, unknown>>;

export interface TransferFormat {
  /** The `type` of this resource's lines: `customer`. */
  readonly line: string;
  /** Every record, ascending id, in pages. */
  export(connection: Connection): AsyncGenerator<TransferLine>;
  /** Checks one parsed line; throws TransferError naming `lineNo` and the field. */
  parse(record: Readonly<Record<string, unknown>>, lineNo: number): TransferLine;
  /** Writes (upserts by id) a batch of this resource's lines in the import's transaction. */
  write(tx: WriteTx, lines: readonly TransferLine[]): Promise<void>;
}

/** A presented resource with the version its ETag names. */
export interface Versioned<T> {
  readonly value: T;
  readonly version: string;
}

/**
 * A REST list that a client can subscribe to as a live query: declared by its resource
 * (MountedResource.lists), next to the SQL it mirrors.
 */
export interface LiveList {
  /** The resource whose changes it lists. */
  readonly resource: string;
  /** Its REST path, as its route declares it; a `:name` segment is a parent's integer id. */
  readonly path: string;
  /** The list route's own query-string schema: a live query takes every filter it takes, and its sort (for the snapshot). */
  readonly query: TObject;
  /** The list route's path-parameter schema, when the path has any. */
  readonly params?: TObject | undefined;
  /** The rows one request of the list selects. */
  select(request: ListRequest): ListSelection;
}

export interface ListRequest {
  /** The query as the list route gets it, validated and coerced, without paging or sort. */
  readonly query: Readonly<Record<string, unknown>>;
  /** The path's parameters, validated and coerced. */
  readonly params: Readonly<Record<string, unknown>>;
}

export interface ListSelection {
  /**
   * True for exactly the rows the list's SQL selects: the live side decides with it, for each
   * change, whether a row is (or was) in the list. It must agree with the repository's query
   * (test/live-query-property.test.ts checks that it does, on SQLite and PostgreSQL).
   */
  matches(data: Presented): boolean;
  /**
   * A field of the presented row the list requires to equal a value (its most selective exact
   * filter, when it has one): the live side then matches it only against changes of such rows.
   * `matches` must be false for every row whose field differs.
   */
  readonly index?: { readonly field: string; readonly value: string | number } | undefined;
  /**
   * Every row the list selects now, in `sort` order (the list's default without one), at most
   * `limit` of them, with their total and the change-log position they are as of. Throws the
   * GET's 404 when the path names a parent that does not exist.
   */
  read(sort: string | undefined, limit: number): Promise<Positioned<{ items: Presented[]; total: number }>>;
}
