import type { ChangeAction, Presented } from '../store/change.js';
import type { LogEntry } from '../store/change-log.js';
import type { Topic } from './topics.js';

/**
 * A committed change as the live side delivers it: the change, its position in the shop's one
 * sequence (`seq`: what a client remembers to resume), and its data already serialized — once
 * per instance, however many topics and receivers it reaches.
 */
export interface LiveChange {
  readonly seq: number;
  readonly resource: string;
  readonly action: ChangeAction;
  readonly data: Presented;
  /** `data` as JSON: the bytes every event frame embeds. */
  readonly json: string;
  readonly previous: Presented | undefined;
}

/** A change entry of the log (its channel is the resource's name) as a LiveChange. */
export function liveChangeOf(entry: LogEntry): LiveChange {
  return {
    seq: entry.position,
    resource: entry.channel,
    action: (entry.action ?? 'updated') as ChangeAction,
    data: JSON.parse(entry.data) as Presented,
    json: entry.data,
    previous: entry.previous === null ? undefined : (JSON.parse(entry.previous) as Presented),
  };
}

/** Chat entries live on `chat:` channels; every other channel is a resource's. */
export const isChatChannel = (channel: string): boolean => channel.startsWith('chat:');

/**
 * What a change is to one subscription: a row that matches after an update and did not before
 * `entered` it, one that matched before and no longer does `left` it (a pending order that is paid
 * enters `?status=paid` and leaves `?status=pending`); a change to a row that matches neither
 * before nor after is nothing to it. A topic's rows never move in or out (its field never
 * changes), so it only ever sees created, updated and deleted.
 */
export type LiveAction = ChangeAction | 'entered' | 'left';

export function actionFor(topic: Pick<Topic, 'matches'>, change: LiveChange): LiveAction | undefined {
  if (change.action !== 'updated') return topic.matches(change.data) ? change.action : undefined;
  const now = topic.matches(change.data);
  // An entry logged without its previous state (none are, since the change log began) counts as unchanged.
  const before = change.previous === undefined ? now : topic.matches(change.previous);
  if (now) return before ? 'updated' : 'entered';
  return before ? 'left' : undefined;
}

/** The frame a subscriber of `topic` receives for `change`. */
export function eventFrame(topic: Pick<Topic, 'key' | 'kind'>, action: LiveAction, change: LiveChange): string {
  return '{"type":"event","' + topic.kind + '":' + JSON.stringify(topic.key) + ',"action":"' + action + '","data":' + change.json + ',"seq":' + change.seq + '}';
}

/**
 * What a subscriber gets instead of a replay when the log no longer holds everything after its
 * position (retention, or more than a replay sends): the stream restarts at `seq`, and `href` is
 * where to read the current state again (for a live query: subscribe again with a snapshot).
 * Never a silent gap.
 */
export function resetFrame(topic: Pick<Topic, 'key' | 'kind' | 'href'>, seq: number): string {
  return '{"type":"reset","' + topic.kind + '":' + JSON.stringify(topic.key) + ',"href":' + JSON.stringify(topic.href) + ',"seq":' + seq + '}';
}

/** A live query's rows when it starts: the list at log position `seq`; its events follow from there. */
export function snapshotFrame(topic: Pick<Topic, 'key'>, items: readonly Presented[], seq: number): string {
  return '{"type":"snapshot","query":' + JSON.stringify(topic.key) + ',"data":' + JSON.stringify(items) + ',"seq":' + seq + '}';
}
