/**
 * The live side's frames as schemas: `event`, `reset` and `snapshot`, the same JSON on a
 * WebSocket and in an SSE event's `data`. They are built as strings where they are made
 * (change.ts: once per change, for every receiver); these describe them for the AsyncAPI
 * document, each resource's events carrying its presented schema (the JSON its GET returns).
 */
import { Type, type TSchema } from 'typebox';
import type { Resource } from '../resources/resource.js';
import type { LiveList } from './queries.js';
import { keyPattern } from './queries.js';
import { topicPattern } from './topics.js';
import type { LiveAction } from './change.js';

/** What the live frames of one resource carry, and the names of its subscriptions. */
export interface LiveResource {
  readonly name: string;
  /** The JSON of its events' `data`. */
  readonly data: TSchema;
  /** Patterns of its topics' names (`customers/7`) and of its live queries' keys (`/customers?q=buss`). */
  readonly topics: readonly string[];
  readonly queries: readonly string[];
}

const ANY_RESOURCE = Type.Object({ id: Type.Integer() }, { description: 'The resource as its GET returns it' });

/** Each resource of the registry with its topics and the lists it can be subscribed to by. */
export function liveResources(resources: readonly Resource[], lists: readonly LiveList[]): LiveResource[] {
  return resources.map((resource) => ({
    name: resource.name,
    data: resource.presented ?? ANY_RESOURCE,
    topics: resource.topics.map(topicPattern),
    queries: lists.filter((list) => list.resource === resource.name).map(keyPattern),
  }));
}

const TOPIC_ACTIONS = ['created', 'updated', 'deleted'] as const satisfies readonly LiveAction[];
const QUERY_ACTIONS = [...TOPIC_ACTIONS, 'entered', 'left'] as const satisfies readonly LiveAction[];

const either = (patterns: readonly string[]): string => patterns.map((p) => `(?:${p})`).join('|');
const oneOf = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const changeSeq = Type.Integer({ minimum: 1, description: "The change's position in the log: this subscription's point to resume after" });
const streamSeq = Type.Integer({ minimum: 0, description: 'The log position the stream goes on from' });

function events(r: LiveResource): TSchema[] {
  const out: TSchema[] = [];
  if (r.topics.length > 0) {
    out.push(
      Type.Object(
        {
          type: Type.Literal('event'),
          topic: Type.String({ pattern: either(r.topics) }),
          action: oneOf(TOPIC_ACTIONS),
          data: r.data,
          seq: changeSeq,
        },
        { title: `A change of ${r.name}, on a topic`, additionalProperties: false },
      ),
    );
  }
  if (r.queries.length > 0) {
    out.push(
      Type.Object(
        {
          type: Type.Literal('event'),
          query: Type.String({ pattern: either(r.queries), description: "The live query's canonical key" }),
          action: Type.Union(QUERY_ACTIONS.map((a) => Type.Literal(a)), { description: '`entered` / `left`: an update made the row start / stop matching' }),
          data: r.data,
          seq: changeSeq,
        },
        { title: `A change of ${r.name}, on a live query`, additionalProperties: false },
      ),
    );
  }
  return out;
}

/** `event`, `reset` and `snapshot` for the registry's resources. */
export function liveFrameSchemas(resources: readonly LiveResource[]): { event: TSchema; reset: TSchema; snapshot: TSchema } {
  const generic: LiveResource = { name: 'a resource', data: ANY_RESOURCE, topics: ['.'], queries: ['.'] };
  const eventVariants = resources.flatMap(events);
  const event = Type.Union(eventVariants.length > 0 ? eventVariants : events(generic), {
    $id: 'LiveEvent',
    description: 'A committed REST write on a subscribed topic, or on a row a live query selects (before or after): `data` is the resource as its GET returns it.',
  });

  const withQueries = resources.filter((r) => r.queries.length > 0);
  const snapshotOf = (r: LiveResource) =>
    Type.Object(
      {
        type: Type.Literal('snapshot'),
        query: Type.String({ pattern: either(r.queries), description: "The live query's canonical key" }),
        data: Type.Array(r.data, { description: 'The rows the list selects at `seq`, in its `sort` order' }),
        seq: streamSeq,
      },
      { title: `The rows of a live query on ${r.name}`, additionalProperties: false },
    );
  const snapshot = Type.Union((withQueries.length > 0 ? withQueries : [generic]).map(snapshotOf), {
    $id: 'LiveSnapshot',
    description: "A live query's rows at log position `seq`, first, when asked for; its events follow from there.",
  });

  const resetOf = (kind: 'topic' | 'query') =>
    Type.Object(
      {
        type: Type.Literal('reset'),
        [kind]: Type.String({ description: kind === 'topic' ? 'The topic, as subscribed' : "The live query's canonical key" }),
        href: Type.String({ description: 'The REST URL to read the current state from again (for a live query: subscribe again with a snapshot)' }),
        seq: streamSeq,
      },
      { additionalProperties: false },
    );
  const reset = Type.Union([resetOf('topic'), resetOf('query')], {
    $id: 'LiveReset',
    description: 'Instead of replayed events, when the log no longer holds every change after the position asked for (retention): read `href` again, live from `seq`. Never a silent gap.',
  });
  return { event, reset, snapshot };
}
