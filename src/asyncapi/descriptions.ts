/**
 * The prose of the AsyncAPI document (CommonMark): what the schemas cannot say — how to connect,
 * the limits in force, the close codes, and how an SSE stream's ids resume it. The numbers are
 * the running configuration's.
 */
import type { Config } from '../config.js';
import { SOCKET_ERRORS } from '../chat/errors.js';

type Limits = Pick<Config, 'wsMaxFrame' | 'wsRateLimit' | 'wsHeartbeatMs' | 'wsSendBufferMax' | 'chatHistory' | 'sseKeepAliveMs' | 'liveSnapshotMax'>;

export interface Vocabulary {
  readonly subprotocols: readonly string[];
  readonly paths: readonly string[];
  readonly topics: readonly string[];
  readonly readsNeedToken: boolean;
}

const list = (items: readonly string[]): string => items.map((i) => `\`${i}\``).join(', ');

export function closeCodesTable(): string {
  const rows = Object.entries(SOCKET_ERRORS).flatMap(([name, entry]) => ('closeCode' in entry ? [`| ${entry.closeCode} | \`${name}\` | ${entry.message} |`] : []));
  return ['| close code | name | when |', '| --- | --- | --- |', ...rows].join('\n');
}

export function channelsText(config: Limits, words: Vocabulary): { info: string; socket: string; events: string; list: string } {
  const resume =
    'Each SSE event\'s `data:` is one JSON frame and its `id:` is that frame\'s `seq`, its position in the change log: a reconnecting ' +
    '`EventSource` sends it back as `Last-Event-ID` (or start after a REST answer\'s `Boutique-Log-Position` with `?after=`) and gets every ' +
    'change after it exactly once, in position order — or, when the log no longer holds them all (retention), a `reset` event whose id is ' +
    'the position the stream goes on from. A stream opens with `retry: 2000`, a comment naming what it carries, and an id-only event ' +
    '(`id: N`, no data: nothing is dispatched, but the client remembers the position it started from); comments (`: keep-alive`) come every ' +
    `${config.sseKeepAliveMs} ms (SSE_KEEPALIVE_MS). A change matching several of a stream's topics comes once. A stream whose client stops ` +
    `reading is ended once ${config.wsSendBufferMax} bytes (WS_SEND_BUFFER_MAX) wait for it: reconnect, and resume. A request refused before ` +
    'the stream starts gets an RFC 9457 problem (400, 401, 404, 429, 503), as the REST API does.';
  return {
    info:
      'What Boutique pushes: the chat and live changes over one WebSocket, and the changes as Server-Sent Events. The REST API is ' +
      'described by /openapi.json. Every frame delivered from the shop\'s change log carries `seq`, its position (one counter for the ' +
      'whole shop, dense, in commit order): the highest one received is all a client needs to resume, on any instance, after any restart. ' +
      'A resource\'s events carry the JSON its GET returns (`components.schemas`).',
    socket: [
      `Connect to ${list(words.paths)} (\`wss://\` with TLS). The server picks the first subprotocol offered among ${list(words.subprotocols)}; ` +
        'offering none is fine, offering only unknown ones is refused with HTTP 400. With ALLOWED_ORIGINS set, a browser `Origin` not in ' +
        'the list is refused with 403; too many handshakes or open sockets from one address with 429 and `Retry-After`; a wrong token with 401.' +
        (words.readsNeedToken ? ' Subscribing needs the API token here: at the handshake (`?token=`, `Authorization: Bearer`) or as `token` in `subscribe`.' : ''),
      'Frames are JSON text frames; a binary frame gets an `error` frame (`BINARY_UNSUPPORTED`), bytes that are not WebSocket framing end the ' +
        'connection (1002). Every connection starts in room `lobby`. Old clients never get a frame type they did not ask for: `joined`, ' +
        '`left`, `subscribed`, `unsubscribed`, `snapshot`, `event`, `reset` and `resumed` only answer the matching request. ' +
        `Joining a room sends its last ${config.chatHistory} messages (CHAT_HISTORY).`,
      'Resume: keep `session` (from `id`) and the highest `seq` received; reconnect with `?session=…&seq=…` (or send `resume`): `id`, ' +
        '`resumed` with `missed`, exactly that many frames in `seq` order, then live ones — nothing twice, nothing lost; or `RESUME_FAILED` ' +
        'and a fresh session. A subscription resumes on its own with `subscribe` and `after`.',
      `Limits: a frame over ${config.wsMaxFrame} bytes (WS_MAX_FRAME) closes with 1009; more than ${config.wsRateLimit} frames a second ` +
        `(WS_RATE_LIMIT, bursts of twice that) with 1008; a peer that answers no ping for two heartbeats of ${config.wsHeartbeatMs} ms ` +
        `(WS_HEARTBEAT_MS), or leaves more than ${config.wsSendBufferMax} bytes unread (WS_SEND_BUFFER_MAX), is cut without a close frame (1006).`,
      'Close codes (also as `x-close-codes`):\n\n' + closeCodesTable(),
    ].join('\n\n'),
    events:
      `\`GET /events\`: every change of the topics named by \`?topic=\` (repeatable: ${list(words.topics)}), of every collection when none is. ` + resume,
    list:
      "A live query: the list's own filters, with the schema, coercion and validation of its GET (a bad one is the GET's 400; paging is " +
      `refused, \`sort\` orders the snapshot). \`?snapshot=true\` starts with a \`snapshot\` event of the rows it selects (at most ${config.liveSnapshotMax}, ` +
      'LIVE_SNAPSHOT_MAX; more is a 400), skipped when the stream resumes. Then an `event` for each change of a row it selects before or ' +
      'after: `created`, `updated`, `deleted`, and `entered` / `left` when an update makes a row start / stop matching. ' +
      resume,
  };
}
