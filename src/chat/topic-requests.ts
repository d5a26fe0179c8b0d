import type { Access } from '../http/auth.js';
import { replayThenLive } from '../live/gate.js';
import { topicChannel, type Subscriptions, type TopicReplay } from '../live/subscriptions.js';
import { resetFrame } from '../live/change.js';
import type { Topic } from '../live/topics.js';
import type { ChatClient } from './client.js';
import { socketError } from './errors.js';
import { escapeHtml } from './protocol.js';
import { subscribedFrame, unsubscribedFrame } from './frames.js';

/**
 * A socket's `subscribe` and `unsubscribe`: the WebSocket side of the live topics. The topics,
 * their grammar, read-auth and the fan-out are the live module's (src/live/), shared with SSE.
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
   * `subscribe`, live from now — or, with `after` (a REST response's Boutique-Log-Position, or the
   * last seq seen), every change after that position first, then live: nothing missed in between,
   * nothing twice. When the log no longer holds all of them, a `reset` frame says where to read
   * the current state again instead. `subscribed` comes last, once the client is caught up: its
   * seq is where the live stream starts, and a position the client can always resume from.
   */
  async subscribe(client: ChatClient, name: string, token: string | undefined, after?: number): Promise<void> {
    const topic = this.parse(name);
    this.authorize(client, token);
    const reachable = after === undefined || (await this.subscriptions.reach(after));
    let replay: TopicReplay = { kind: 'missed', frames: [] };
    await replayThenLive(client, {
      attach: () => this.add(client, topic),
      cut: async () => this.subscriptions.head(),
      missed: async (cut) => {
        if (after === undefined) return [];
        replay = reachable ? await this.subscriptions.replay([topic], after, cut) : { kind: 'reset', frames: [{ seq: cut, frame: resetFrame(topic.key, topic.href, cut) }] };
        return replay.frames;
      },
      trail: (cut) => client.send(subscribedFrame(topic.key, cut)),
      channels: new Set([topicChannel(topic.key)]),
    });
  }

  unsubscribe(client: ChatClient, name: string): void {
    const topic = client.removeTopic(name);
    if (topic) this.subscriptions.unsubscribe(topic, client);
    client.send(unsubscribedFrame(name));
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
