/**
 * The AsyncAPI 3.0 document of the server's pushed protocols, served at GET /asyncapi.json:
 * the WebSocket at /socketserver (chat, rooms, signaling, resume, subscriptions and live queries,
 * errors, close codes) and the Server-Sent Events streams. Built once at boot from the schemas
 * the server validates client frames with (src/chat/client-frames.ts) and those that describe the
 * frames it builds as strings (src/chat/server-frames.ts, src/live/frame-schemas.ts), each
 * resource's events carrying its REST schema; the tests check every frame they send and receive
 * against it.
 */
import { createRequire } from 'node:module';
import type { TSchema } from 'typebox';
import type { Config } from '../config.js';
import type { Resource } from '../resources/resource.js';
import { SOCKET_ERRORS } from '../chat/errors.js';
import { CHAT_PATHS, HandshakeQuery, SUBPROTOCOLS } from '../chat/handshake.js';
import { liveFrameSchemas, liveResources } from '../live/frame-schemas.js';
import type { LiveList, LiveQueries } from '../live/queries.js';
import { EventsQuery, listStreamQuery } from '../live/sse.js';
import { Components } from './components.js';
import { channelsText } from './descriptions.js';
import { CLIENT_MESSAGES, serverMessages, type MessageSpec } from './messages.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export type AsyncApiConfig = Pick<Config, 'tlsCert' | 'apiToken' | 'readTokenRequired' | 'wsMaxFrame' | 'wsRateLimit' | 'wsHeartbeatMs' | 'wsSendBufferMax' | 'chatHistory' | 'sseKeepAliveMs' | 'liveSnapshotMax'>;

export interface AsyncApiSources {
  /** The registry's resources: their presented schemas and topics. */
  readonly resources: readonly Resource[];
  /** The lists that can be subscribed to as live queries, with their query-string schemas. */
  readonly queries: LiveQueries;
  readonly config: AsyncApiConfig;
}

const ref = ($ref: string) => ({ $ref });

/** What a client may receive on the socket, grouped as the server sends them. */
const SOCKET_SENDS = {
  greet: { summary: 'Greets every connection: `id`, then `userlist` (or `resumed` and the missed frames when it resumes at the handshake)', messages: ['server.id', 'server.userlist', 'server.resumed'] },
  announceSignIns: { summary: 'Sign-ins and the user list, to everyone; a taken name, to its requester', messages: ['server.username', 'server.rejectusername', 'server.userlist'] },
  deliverMessages: { summary: 'Messages of the rooms you are in, and those for you alone', messages: ['server.message', 'server.private-message'] },
  relaySignaling: { summary: 'WebRTC signaling for you (MDN’s video-call sample)', messages: ['server.video-offer', 'server.video-answer', 'server.new-ice-candidate', 'server.hang-up'] },
  pushChanges: { summary: 'Changes of what you subscribed to', messages: ['server.event', 'server.reset', 'server.snapshot'] },
  refuse: { summary: 'Bad input, or a request that failed: the connection stays (what closes it is a close code, see the channel)', messages: ['server.error'] },
} as const;

/** What the server receives on the socket, with the frames that answer a request. */
const SOCKET_RECEIVES: Record<string, { summary: string; messages: readonly string[]; reply?: readonly string[] }> = {
  signIn: { summary: 'Sign in or change name: `rejectusername` to you when the name is taken, then `username` and `userlist` to everyone', messages: ['client.username'] },
  chat: { summary: 'Messages, to a room or to one user', messages: ['client.message', 'client.private-message'] },
  signal: { summary: 'WebRTC signaling, to a user or to your call partner', messages: ['client.video-offer', 'client.video-answer', 'client.new-ice-candidate', 'client.hang-up'] },
  joinRoom: { summary: 'Join a room', messages: ['client.join'], reply: ['server.joined'] },
  leaveRoom: { summary: 'Leave a room', messages: ['client.leave'], reply: ['server.left'] },
  subscribe: {
    summary: 'Subscribe: a `snapshot` (when asked for), the replayed `event`s or a `reset` (with `after`), then `subscribed`; live `event`s from there',
    messages: ['client.subscribe'],
    reply: ['server.snapshot', 'server.event', 'server.reset', 'server.subscribed'],
  },
  unsubscribe: { summary: 'Unsubscribe', messages: ['client.unsubscribe'], reply: ['server.unsubscribed'] },
  resume: { summary: 'Resume a session: `resumed`, then exactly `missed` frames in `seq` order, then live ones', messages: ['client.resume'], reply: ['server.resumed'] },
};

/** `/customers/:id/orders` → `/events/customers/{id}/orders`, and its channel's name `events-customers-id-orders`. */
function streamOf(list: LiveList): { address: string; name: string; parameters: string[] } {
  const parameters = [...list.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  return {
    address: '/events' + list.path.replace(/:(\w+)/g, '{$1}'),
    name: 'events' + list.path.replace(/:/g, '').replace(/\//g, '-'),
    parameters,
  };
}

function summaryOf(schema: TSchema): { summary?: string } {
  const { description } = schema as { description?: unknown };
  return typeof description === 'string' ? { summary: description } : {};
}

const camel = (name: string) => name.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());

/** The AsyncAPI 3.0 document; plain JSON. */
export function buildAsyncApi({ resources, queries, config }: AsyncApiSources): Record<string, unknown> {
  const components = new Components();
  const live = liveFrameSchemas(liveResources(resources, queries.lists));
  const specs: Record<string, MessageSpec> = { ...CLIENT_MESSAGES, ...serverMessages(live) };
  const messages = Object.fromEntries(
    Object.entries(specs).map(([key, spec]) => [
      key,
      {
        name: String((spec.payload as { properties?: { type?: { const?: unknown } } }).properties?.type?.const ?? key.split('.')[1]),
        title: spec.title,
        ...summaryOf(spec.payload),
        contentType: 'application/json',
        payload: components.use(spec.payload),
        ...(spec.examples ? { examples: spec.examples.map((payload) => ({ payload })) } : {}),
      },
    ]),
  );

  const tls = config.tlsCert !== undefined;
  const readsNeedToken = config.apiToken !== undefined && config.readTokenRequired;
  // Reads that need the token: a stream takes it as a bearer header; a socket also as ?token= at the handshake (or in `subscribe`).
  const bearer = ref('#/components/securitySchemes/bearer');
  const streamSecurity = readsNeedToken ? { security: [bearer] } : {};
  const socketSecurity = readsNeedToken ? { security: [bearer, ref('#/components/securitySchemes/tokenQuery')] } : {};
  const text = channelsText(config, { subprotocols: [...SUBPROTOCOLS], paths: [...CHAT_PATHS], topics: resources.flatMap((r) => r.topics.map((t) => t.pattern)), readsNeedToken });

  const streams = queries.lists.map((list) => ({ list, ...streamOf(list) }));
  const channels: Record<string, unknown> = {
    socket: {
      address: '/socketserver',
      title: 'Chat and live changes over WebSocket',
      servers: [ref('#/servers/websocket')],
      description: text.socket,
      // Every message travels on the socket; the streams carry the live ones.
      messages: Object.fromEntries(Object.keys(specs).map((key) => [key, ref(`#/components/messages/${key}`)])),
      bindings: {
        ws: {
          method: 'GET',
          query: components.use(HandshakeQuery),
          headers: {
            type: 'object',
            properties: {
              'Sec-WebSocket-Protocol': { type: 'string', description: `Optional: ${[...SUBPROTOCOLS].join(' or ')}; only unknown ones offered is refused with 400` },
              Authorization: { type: 'string', description: 'Bearer <API token>, instead of ?token=' },
              Origin: { type: 'string', description: 'Checked against ALLOWED_ORIGINS when set (403 otherwise)' },
            },
          },
          bindingVersion: '0.1.0',
        },
      },
      'x-close-codes': Object.entries(SOCKET_ERRORS).flatMap(([code, entry]) => ('closeCode' in entry ? [{ code: entry.closeCode, name: code, reason: entry.message }] : [])),
    },
    events: {
      address: '/events',
      title: 'Every change, or those of some topics, as Server-Sent Events',
      servers: [ref('#/servers/http')],
      description: text.events,
      messages: { event: ref('#/components/messages/server.event'), reset: ref('#/components/messages/server.reset') },
    },
  };
  for (const { name, address, parameters, list } of streams) {
    channels[name] = {
      address,
      title: `The changes of ${list.path.replace(/:(\w+)/g, '{$1}')} with its filters (a live query), as Server-Sent Events`,
      servers: [ref('#/servers/http')],
      description: text.list,
      ...(parameters.length > 0 ? { parameters: Object.fromEntries(parameters.map((p) => [p, { description: 'The id of the row the list lives under' }])) } : {}),
      messages: {
        snapshot: ref('#/components/messages/server.snapshot'),
        event: ref('#/components/messages/server.event'),
        reset: ref('#/components/messages/server.reset'),
      },
    };
  }

  const onSocket = (keys: readonly string[]) => keys.map((key) => ref(`#/channels/socket/messages/${key}`));
  const operations: Record<string, unknown> = {};
  for (const [id, op] of Object.entries(SOCKET_RECEIVES)) {
    operations[id] = {
      action: 'receive',
      channel: ref('#/channels/socket'),
      summary: op.summary,
      messages: onSocket(op.messages),
      ...(id === 'subscribe' ? socketSecurity : {}),
      ...(op.reply ? { reply: { channel: ref('#/channels/socket'), messages: onSocket(op.reply) } } : {}),
    };
  }
  for (const [id, op] of Object.entries(SOCKET_SENDS)) {
    operations[id] = { action: 'send', channel: ref('#/channels/socket'), summary: op.summary, messages: onSocket(op.messages) };
  }
  operations.streamEvents = {
    action: 'send',
    channel: ref('#/channels/events'),
    summary: 'GET /events: every change of the topics asked for (every collection by default)',
    messages: [ref('#/channels/events/messages/event'), ref('#/channels/events/messages/reset')],
    ...streamSecurity,
    bindings: { http: { method: 'GET', query: components.use(EventsQuery), bindingVersion: '0.3.0' } },
  };
  for (const { name, list } of streams) {
    operations[camel('stream-' + name.slice('events-'.length))] = {
      action: 'send',
      channel: ref(`#/channels/${name}`),
      summary: `GET /events${list.path.replace(/:(\w+)/g, '{$1}')}: a snapshot when asked for, then the changes of the rows the list selects`,
      messages: ['snapshot', 'event', 'reset'].map((key) => ref(`#/channels/${name}/messages/${key}`)),
      ...streamSecurity,
      bindings: { http: { method: 'GET', query: components.use(listStreamQuery(queries, list)), bindingVersion: '0.3.0' } },
    };
  }

  const host = { host: { default: 'localhost:3000', description: 'The host and port this document was read from' } };
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Boutique: WebSocket and Server-Sent Events',
      version,
      description: text.info,
    },
    defaultContentType: 'application/json',
    servers: {
      websocket: { host: '{host}', protocol: tls ? 'wss' : 'ws', title: 'The chat socket', variables: host },
      http: { host: '{host}', protocol: tls ? 'https' : 'http', title: 'Server-Sent Events', variables: host },
    },
    channels,
    operations,
    components: {
      schemas: components.schemas,
      messages,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The API token (Authorization: Bearer …); needed to read when BOUTIQUE_READ_TOKEN_REQUIRED=true' },
        tokenQuery: { type: 'httpApiKey', in: 'query', name: 'token', description: 'The API token as ?token= at the socket\'s handshake (a browser cannot set headers on a WebSocket), or as `token` in `subscribe`' },
      },
    },
  };
}
