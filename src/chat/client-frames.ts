/**
 * Client → server frames as schemas: the server validates every text frame with these
 * (src/chat/protocol.ts), and the AsyncAPI document (/asyncapi.json) describes the frames with
 * these very objects. A field a type does not name is ignored (MDN's client sends its own), so
 * none of them is closed.
 */
import { Type, type Static, type TSchema } from 'typebox';

export const DEFAULT_ROOM = 'lobby';

/** 1–64 letters, digits, `-` or `_`; letters and digits of any script. */
export const ROOM_PATTERN = '^[\\p{L}\\p{N}_-]{1,64}$';

/**
 * WebRTC signaling (MDN's video-call sample): always for one user, the `target`; without one (MDN's
 * client sends `hang-up` with `"target": null`), for the sender's call partner (src/chat/signaling.ts).
 */
export const SIGNALING_TYPES = ['video-offer', 'video-answer', 'new-ice-candidate', 'hang-up'] as const;
export type SignalingType = (typeof SIGNALING_TYPES)[number];

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const room = Type.String({ pattern: ROOM_PATTERN, description: '1–64 letters, digits, "-" or "_"', examples: ['dev'] });
const position = (description: string) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });
const ignored = (description: string) => Type.Optional(Type.Unknown({ description }));
const date = ignored('Milliseconds since the epoch, as MDN\'s client sends it: delivered as the message\'s `date` (the server\'s clock when it is not a finite number)');
const clientId = ignored("The client's idea of its id: ignored, the server uses its own");

/**
 * Only `message` and the signaling types carry a `target`: on any other type a non-empty one is
 * refused with UNKNOWN_TYPE, and a `message` with one is a private message.
 */
const noTarget = Type.Optional(Type.Unsafe<unknown>({ not: { type: 'string', minLength: 1 }, description: 'A non-empty target makes another frame (a private message), or is refused' }));

/** `topic` or `query`, exactly one of them not null (MISSING_FIELD otherwise). */
const exactlyOneOfTopicAndQuery = {
  oneOf: [
    { required: ['topic'], properties: { topic: { type: 'string' } } },
    { required: ['query'], properties: { query: { type: 'string' } } },
  ],
};
const topic = Type.Optional(nullable(Type.String({ description: 'A topic: customers, customers/{id}, customers/{id}/orders, orders', examples: ['customers/7/orders'] })));
const query = Type.Optional(
  nullable(Type.String({ description: 'A live query: a list\'s path and filters, exactly as its GET takes them (paging refused, `sort` orders the snapshot)', examples: ['/orders?status=paid'] })),
);

// Properties are listed in the order the server checks them: of several wrong fields, the first is named.

export const ClientUsername = Type.Object(
  { type: Type.Literal('username'), name: Type.String({ description: '1–32 characters after NFKC; see "Names" in docs/chat-protocol.md', examples: ['bob'] }), id: clientId, date, target: noTarget },
  { $id: 'ClientUsername', description: 'Sign in, or change name. A name taken (by look, not only by spelling) gets a numbered variant and `rejectusername`.' },
);

export const ClientRoomMessage = Type.Object(
  {
    type: Type.Literal('message'),
    room: Type.Optional(nullable(room)),
    text: Type.String({ examples: ['hi'] }),
    date,
    id: clientId,
    target: noTarget,
  },
  { $id: 'ClientRoomMessage', description: 'A message to a room the sender is in (`lobby` when it names none and is in the lobby or no room).' },
);

export const ClientPrivateMessage = Type.Object(
  {
    type: Type.Literal('message'),
    target: Type.String({ minLength: 1, description: 'The user name it goes to, alone' }),
    text: Type.String(),
    date: ignored("Ignored: a private message carries the server's clock"),
    id: clientId,
  },
  { $id: 'ClientPrivateMessage', description: 'A message to one user: it is relayed with the server\'s `name`, `id` and `date`, and no room.' },
);

const signaling = (type: SignalingType, $id: string, carries: Record<string, TSchema>, description: string) =>
  Type.Object(
    {
      type: Type.Literal(type),
      target: Type.Optional(nullable(Type.String({ description: 'The user it goes to; absent, null or empty: the sender\'s call partner' }))),
      ...carries,
    },
    { $id, description },
  );

export const ClientVideoOffer = signaling('video-offer', 'ClientVideoOffer', { sdp: Type.Optional(Type.Unknown({ description: 'The session description, relayed as sent' })) }, 'WebRTC: an offer, relayed to the target with its `sdp`.');
export const ClientVideoAnswer = signaling('video-answer', 'ClientVideoAnswer', { sdp: Type.Optional(Type.Unknown({ description: 'The session description, relayed as sent' })) }, 'WebRTC: an answer, relayed to the target with its `sdp`.');
export const ClientNewIceCandidate = signaling('new-ice-candidate', 'ClientNewIceCandidate', { candidate: Type.Optional(Type.Unknown({ description: 'The ICE candidate, relayed as sent' })) }, 'WebRTC: an ICE candidate, relayed to the target.');
export const ClientHangUp = signaling('hang-up', 'ClientHangUp', {}, 'WebRTC: ends the call on both sides.');

export const ClientJoin = Type.Object({ type: Type.Literal('join'), room, target: noTarget }, { $id: 'ClientJoin', description: 'Join a room: answered with `joined` and its history.' });
export const ClientLeave = Type.Object({ type: Type.Literal('leave'), room, target: noTarget }, { $id: 'ClientLeave', description: 'Leave a room: answered with `left`.' });

export const ClientSubscribe = Type.Object(
  {
    type: Type.Literal('subscribe'),
    after: Type.Optional(nullable(position('A log position (a REST answer\'s Boutique-Log-Position, or the last `seq` received on this subscription): every change after it comes first'))),
    snapshot: Type.Optional(nullable(Type.Boolean({ description: 'For a query without `after`: start with a `snapshot` of its rows' }))),
    topic,
    query,
    token: Type.Optional(nullable(Type.String({ description: 'The API token, when reads need it and the handshake carried none' }))),
    target: noTarget,
  },
  { $id: 'ClientSubscribe', description: 'Subscribe to a topic or a live query.', ...exactlyOneOfTopicAndQuery },
);

export const ClientUnsubscribe = Type.Object(
  { type: Type.Literal('unsubscribe'), topic, query, target: noTarget },
  { $id: 'ClientUnsubscribe', description: 'Stop a subscription, named in any form with the same canonical key.', ...exactlyOneOfTopicAndQuery },
);

export const ClientResume = Type.Object(
  {
    type: Type.Literal('resume'),
    seq: position('The highest `seq` received'),
    name: Type.Optional(nullable(Type.String({ description: 'The name held; restores a session this instance does not hold, and is taken when the session has none' }))),
    rooms: Type.Optional(nullable(Type.Array(Type.String(), { description: "The rooms joined: the ones the session gets back (omitted: the session's own)" }))),
    topics: Type.Optional(nullable(Type.Array(Type.String(), { description: "The topics and query keys subscribed to: the ones the session gets back (omitted: the session's own)" }))),
    session: Type.String({ description: 'The `session` of the `id` frame' }),
    target: noTarget,
  },
  { $id: 'ClientResume', description: 'Resume a session on this connection: `resumed`, then every frame missed, in order.' },
);

/** Every frame a client may send, as the AsyncAPI document lists them. */
export const CLIENT_FRAMES = [
  ClientUsername,
  ClientRoomMessage,
  ClientPrivateMessage,
  ClientVideoOffer,
  ClientVideoAnswer,
  ClientNewIceCandidate,
  ClientHangUp,
  ClientJoin,
  ClientLeave,
  ClientSubscribe,
  ClientUnsubscribe,
  ClientResume,
] as const;

export type ClientUsername = Static<typeof ClientUsername>;
export type ClientRoomMessage = Static<typeof ClientRoomMessage>;
export type ClientPrivateMessage = Static<typeof ClientPrivateMessage>;
export type ClientSubscribe = Static<typeof ClientSubscribe>;
export type ClientUnsubscribe = Static<typeof ClientUnsubscribe>;
export type ClientResume = Static<typeof ClientResume>;
export type ClientJoin = Static<typeof ClientJoin>;
export type ClientLeave = Static<typeof ClientLeave>;
