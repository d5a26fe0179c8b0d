import type { FastifyPluginAsync } from 'fastify';
import type { TSchema } from 'typebox';
import type { Change } from '../store/change.js';
import type { MigrationSet } from '../store/migrations.js';
import type { WriteTx } from '../store/write-path.js';
import type { LiveList, MountedResource, NavItem, Resource, ResourceContext, TableInfo, TopicTemplate } from './resource.js';
import { customersResource } from './customers/index.js';
import { ordersResource } from './orders/index.js';

/**
 * The resources this server serves, in order (a parent before the resources that live under it).
 * The one list: add a resource here and it is routed, guarded, cached, pushed, exported and
 * documented (src/resources/resource.ts says what an entry holds).
 */
export const DEFAULT_RESOURCES: readonly Resource[] = [customersResource, ordersResource];

/** Every resource of one app, and what the rest of the app reads from them. */
export class Registry {
  readonly #byName = new Map<string, Resource>();

  constructor(readonly resources: readonly Resource[] = DEFAULT_RESOURCES) {
    const patterns = new Set<string>();
    for (const resource of resources) {
      if (this.#byName.has(resource.name)) throw new Error(`two resources are named ${resource.name}`);
      this.#byName.set(resource.name, resource);
      for (const topic of resource.topics) {
        if (patterns.has(topic.pattern)) throw new Error(`two resources claim the topic ${topic.pattern}`);
        patterns.add(topic.pattern);
      }
    }
  }

  get(name: string): Resource | undefined {
    return this.#byName.get(name);
  }

  get migrations(): MigrationSet[] {
    return this.resources.map((r) => r.migrations);
  }

  /** Named schemas of every resource, each once. */
  get schemas(): TSchema[] {
    return this.resources.flatMap((r) => r.schemas);
  }

  get nav(): NavItem[] {
    return this.resources.flatMap((r) => (r.nav ? [r.nav] : []));
  }

  get tables(): TableInfo[] {
    return this.resources.flatMap((r) => r.tables);
  }

  /** Every topic template with the resource whose changes it carries. */
  get topics(): { resource: string; template: TopicTemplate }[] {
    return this.resources.flatMap((r) => r.topics.map((template) => ({ resource: r.name, template })));
  }

  /**
   * Builds every resource's service and routes on `context`. A resource that lives under another
   * is asked to delete its rows when a row of its parent is deleted (deleteChildren).
   */
  mount(context: Omit<ResourceContext, 'deleteChildren'>): MountedRegistry {
    const mounted = new Map<string, MountedResource>();
    const deleteChildren = async (tx: WriteTx, parent: string, id: number): Promise<Change[]> => {
      const changes: Change[] = [];
      for (const child of mounted.values()) {
        if (child.children?.parent === parent) changes.push(...(await child.children.remove(tx, id)));
      }
      return changes;
    };
    for (const resource of this.resources) mounted.set(resource.name, resource.mount({ ...context, deleteChildren }));
    return {
      routes: [...mounted.values()].map((m) => m.routes),
      lists: [...mounted.values()].flatMap((m) => m.lists ?? []),
      service: (name) => mounted.get(name)?.service,
    };
  }
}

export interface MountedRegistry {
  readonly routes: readonly FastifyPluginAsync[];
  /** Every resource's lists that can be subscribed to as live queries. */
  readonly lists: readonly LiveList[];
  /** A resource's service (its own module types it). */
  service(name: string): unknown;
}
