import type { FastifyPluginAsync } from 'fastify';
import type { TSchema } from 'typebox';
import type { Change } from '../store/change.js';
import type { MigrationSet } from '../store/migrations.js';
import type { Connection, Storage } from '../store/types.js';
import type { WritePath, WriteTx } from '../store/write-path.js';

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
  /**
   * A number that changes whenever data this process serves may have changed (writes of this
   * process and, on SQLite, commits of other processes); undefined where no cache can be trusted.
   */
  dataGeneration(): number | undefined;
}

export interface MountedResource {
  /** Its HTTP routes. */
  readonly routes: FastifyPluginAsync;
  /** The service, for tests and for other transports (typed by the resource's own module). */
  readonly service: unknown;
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
