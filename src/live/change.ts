import type { Change, ChangeAction, Presented } from '../store/change.js';

/**
 * A committed change as the live side delivers it: the change, its position in the shop's one
 * sequence (`seq`: what a client remembers to resume), and its data already serialized — once per
 * instance, however many topics and receivers it reaches.
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

/**
 * A change on the bus: resource, action, data and previous data on four lines. JSON never holds
 * a raw line break, so the receiving instance splits instead of parsing a wrapper, and embeds the
 * data's JSON in its frames as it came.
 */
export function encodeChange(change: Change): string {
  return `${change.resource}\n${change.action}\n${JSON.stringify(change.data)}\n${change.previous === undefined ? '' : JSON.stringify(change.previous)}`;
}

export function decodeChange(seq: number, text: string): LiveChange {
  const [resource = '', action = 'updated', json = '{}', previous = ''] = text.split('\n');
  return {
    seq,
    resource,
    action: action as ChangeAction,
    data: JSON.parse(json) as Presented,
    json,
    previous: previous === '' ? undefined : (JSON.parse(previous) as Presented),
  };
}

/** The frame a subscriber of `topic` receives for `change`. */
export function eventFrame(topic: string, change: LiveChange): string {
  return '{"type":"event","topic":' + JSON.stringify(topic) + ',"action":"' + change.action + '","data":' + change.json + ',"seq":' + change.seq + '}';
}
