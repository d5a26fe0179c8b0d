import type { ChangeAction, Presented } from '../store/change.js';
import type { LogEntry } from '../store/change-log.js';

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

/** The frame a subscriber of `topic` receives for `change`. */
export function eventFrame(topic: string, change: LiveChange): string {
  return '{"type":"event","topic":' + JSON.stringify(topic) + ',"action":"' + change.action + '","data":' + change.json + ',"seq":' + change.seq + '}';
}

/**
 * What a subscriber gets instead of a replay when the log no longer holds everything after its
 * position (retention, or more than a replay sends): the stream restarts at `seq`, and `href` is
 * where to read the current state again. Never a silent gap.
 */
export function resetFrame(topic: string, href: string, seq: number): string {
  return '{"type":"reset","topic":' + JSON.stringify(topic) + ',"href":' + JSON.stringify(href) + ',"seq":' + seq + '}';
}
