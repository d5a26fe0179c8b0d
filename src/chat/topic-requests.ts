import type { Access } from '../http/auth.js';
import { replayThenLive } from '../live/gate.js';
import { topicChannel, type Subscriptions, type TopicReplay } from '../live/subscriptions.js';
import type { Missed } from '../live/gate.js';
import type { ParsedQuery } from '../live/queries.js';
import type { Topic } from '../live/topics.js';
import { BoutiqueError } from '../errors.js';
import type { Subscribable } from './protocol.js';
import type { ChatClient } from './client.js';
import { socketError } from './errors.js';
import { escapeHtml } from './protocol.js';
import { subscribedFrame, unsubscribedFrame } from './frames.js';

/**
 * A socket's `subscribe` and `unsubscribe`: the WebSocket side of live topics and live queries.
 * Their grammar, read-auth and the fan-out are the live module's (src/live/), shared with SSE.
 */
export class TopicRequests {
  constructor(
    private readonly subscriptions: Subscriptions,
    private readonly access: Access,
  ) {}

  /** The topic a client named; BAD_TOPIC when it names none. */
  parse(name: string): Topic {
    const topic = this.subscriptions.grammar.parse(name);
    if (!topic) throw socketError('BAD_TOPIC', `"${escapeHtml(name.slice(0, 64))}" is not a topic. Topics are ${this.subscriptions.grammar.described}.`);
    return topic;
  }

  /** A live query, refused with the code, message and field errors of its GET. */
  parseQuery(text: string): ParsedQuery {
    try {
      return this.subscriptions.queries.parse(text);
    } catch (err) {
      throw asSocketError(err, text);
    }
  }

  /** Read-auth, the same as a GET of the API: the token from the handshake, or this one. */
  authorize(client: ChatClient, token: string | undefined): void {
    if (!this.access.readsNeedToken || client.authorized) return;
    if (!this.access.matches(token)) throw socketError('UNAUTHORIZED');
    client.authorized = true;
  }

  /** May this client's session resume its topics without presenting the token again? */
  mayRestore(client: ChatClient): boolean {
    return !this.access.readsNeedToken || client.authorized;
  }

  /**
   * `subscribe` to a topic or a live query, live from now — or, with `after` (a REST response's
   * Boutique-Log-Position, or the last seq seen), every change after that position first, then
   * live: nothing missed in between, nothing twice. A live query with `snapshot` (and no `after`)
   * starts with a `snapshot` frame: its rows at a log position, then the changes after it. When
   * the log no longer holds all of them, a `reset` frame says where to read the current state
   * again instead. `subscribed` comes last, once the client is caught up: its seq is where the
   * live stream starts, and a position the client can always resume from.
   */
  async subscribe(client: ChatClient, target: Subscribable, token: string | undefined, after?: number, snapshot = false): Promise<void> {
    const query = target.kind === 'query' ? this.parseQuery(target.name) : undefined;
    const topic = query?.topic ?? this.parse(target.name);
    this.authorize(client, token);
    let start: Missed | undefined;
    if (query !== undefined && snapshot && after === undefined) {
      try {
        start = await this.subscriptions.snapshot(query);
      } catch (err) {
        throw asSocketError(err, target.name);
      }
    }
    const from = start?.seq ?? after;
    const reachable = from === undefined || (await this.subscriptions.reach(from));
    await replayThenLive(client, {
      attach: () => this.add(client, topic),
      cut: async () => this.subscriptions.head(),
      missed: async (cut) => {
        if (from === undefined) return [];
        const replay: TopicReplay = reachable ? await this.subscriptions.replay([topic], from, cut) : this.subscriptions.reset([topic], cut);
        return replay.frames;
      },
      lead: () => {
        if (start !== undefined) client.send(start.frame);
      },
      trail: (cut) => client.send(subscribedFrame(topic.kind, topic.key, cut)),
      channels: new Set([topicChannel(topic.key)]),
    });
  }

  unsubscribe(client: ChatClient, target: Subscribable): void {
    const key = target.kind === 'query' ? this.parseQuery(target.name).topic.key : target.name;
    const topic = client.removeTopic(key);
    if (topic) this.subscriptions.unsubscribe(topic, client);
    client.send(unsubscribedFrame(target.kind, key));
  }

  /** Joins the client to a topic's fan-out (a subscribe, or a resume restoring it). */
  add(client: ChatClient, topic: Topic): void {
    client.addTopic(topic);
    this.subscriptions.subscribe(topic, client);
  }

  /** The socket is gone: out of every topic's fan-out. */
  removeAll(client: ChatClient): void {
    for (const topic of client.topics.values()) this.subscriptions.unsubscribe(topic, client);
  }
}

/** A refusal of the HTTP side (the GET's 400 or 404) as the socket's error frame, naming the query. */
function asSocketError(err: unknown, query: string): unknown {
  if (!(err instanceof BoutiqueError) || (err.code !== 'BAD_REQUEST' && err.code !== 'NOT_FOUND')) return err;
  return socketError(err.code, err.detail, { ...(err.extra.errors ? { errors: err.extra.errors } : {}), query: query.slice(0, 256) });
}
