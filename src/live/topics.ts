import type { Presented } from '../store/change.js';
import type { TopicTemplate } from '../resources/resource.js';

/**
 * A subscribable view of one resource's changes: what WebSocket `subscribe` and SSE name. Parsed
 * once per subscription; matching an event is a comparison of fields (src/live/queries.ts for
 * live queries).
 */
export interface Topic {
  /** The canonical name (`customers/7/orders`, `/orders?status=paid`): one per distinct subscription, shared by its subscribers. */
  readonly key: string;
  /**
   * A topic (`subscribe` with `topic`, SSE `?topic=`) or a live query (`subscribe` with `query`,
   * SSE `/events/<list>`): the name of the field that carries the key in its frames.
   */
  readonly kind: 'topic' | 'query';
  /** The registry name of the resource whose changes it carries. */
  readonly resource: string;
  /** The REST URL that lists (or is) what the topic watches: where a client refetches after a reset. */
  readonly href: string;
  matches(data: Presented): boolean;
  /**
   * When it selects only rows whose `field` equals `value` (among other conditions, maybe): the
   * fan-out then looks at it only for changes of such rows (src/live/subscriptions.ts).
   */
  readonly index?: { readonly field: string; readonly value: unknown } | undefined;
}

interface Compiled {
  resource: string;
  template: TopicTemplate;
  pattern: RegExp;
}

const ID = '([1-9]\\d{0,15})';

/** `customers/{id}` → `^customers\/([1-9]\d{0,15})$`: what the grammar matches, and the AsyncAPI document's pattern. */
export function topicPattern(template: TopicTemplate): string {
  const source = template.pattern
    .split('/')
    .map((segment) => (/^\{\w+\}$/.test(segment) ? ID : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('\\/');
  return `^${source}$`;
}

const compile = (template: TopicTemplate): RegExp => new RegExp(topicPattern(template));

/**
 * The topic grammar, from the registry's topic templates: the same for WebSocket and SSE, so a
 * topic valid on one is valid on the other, and a new resource's topics are valid on both.
 */
export class TopicGrammar {
  readonly #compiled: Compiled[];
  /** `customers, customers/{id}, …`: what an error message lists. */
  readonly described: string;

  constructor(templates: readonly { resource: string; template: TopicTemplate }[]) {
    this.#compiled = templates.map(({ resource, template }) => ({ resource, template, pattern: compile(template) }));
    const patterns = templates.map(({ template }) => template.pattern);
    this.described = patterns.length <= 1 ? patterns.join('') : `${patterns.slice(0, -1).join(', ')} and ${patterns.at(-1)}`;
  }

  /** The topic a client named, or undefined when it names none. */
  parse(name: string): Topic | undefined {
    if (name.length > 128) return undefined;
    for (const { resource, pattern, template } of this.#compiled) {
      const field = template.field;
      const m = pattern.exec(name);
      if (!m) continue;
      const href = '/' + name;
      if (field === undefined || m[1] === undefined) return { key: name, kind: 'topic', resource, href, matches: () => true };
      const id = Number(m[1]);
      return { key: name, kind: 'topic', resource, href, matches: (data) => data[field] === id, index: { field, value: id } };
    }
    return undefined;
  }

  /** Every collection topic (no placeholder): what a stream without `topic` carries. */
  get collections(): string[] {
    return this.#compiled.filter((c) => !c.template.pattern.includes('{')).map((c) => c.template.pattern);
  }
}
