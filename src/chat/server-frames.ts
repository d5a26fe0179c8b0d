/**
 * Server → client frames of the chat, as schemas. The frames themselves are built as strings
 * where they are made (frames.ts, signaling.ts: serialized once for every receiver); these
 * describe them for the AsyncAPI document (/asyncapi.json), and the tests check every frame they
 * receive against it. Every frame is closed: a field not listed here is a frame the document
 * does not describe. Names and texts are HTML-escaped (see docs/chat-protocol.md).
 */
import { Type, type TSchema } from 'typebox';
import { SOCKET_ERRORS } from './errors.js';

const seq = Type.Integer({ minimum: 1, description: "The frame's position in the change log: remember the highest one received to resume" });
const connectionId = Type.Integer({ minimum: 1, description: "The sender's connection id, as the server knows it" });
const name = Type.String({ description: 'A user name, HTML-escaped' });
const date = Type.Number({ description: "Milliseconds since the epoch: the client's own `date`, or the server's clock" });
const room = Type.String({ description: 'A room name' });

const frame = <P extends Record<string, TSchema>>($id: string, type: string, properties: P, description: string) =>
  Type.Object({ type: Type.Literal(type), ...properties }, { $id, description, additionalProperties: false });

/**
 * A frame that names a subscription: by `topic` (`customers/7/orders`) or by a live query's
 * canonical key (`query`: `/orders?customerId=7&status=paid`), whichever the subscription is.
 */
const named = <P extends Record<string, TSchema>>($id: string, type: string, properties: P, description: string) =>
  Type.Union(
    [
      Type.Object({ type: Type.Literal(type), topic: Type.String({ description: 'The topic, as subscribed' }), ...properties }, { additionalProperties: false }),
      Type.Object({ type: Type.Literal(type), query: Type.String({ description: "The live query's canonical key" }), ...properties }, { additionalProperties: false }),
    ],
    { $id, description },
  );

export const ServerId = frame('ServerId', 'id', { id: connectionId, session: Type.String({ description: 'What a resume presents' }) }, 'The first frame of every connection.');
export const ServerUserlist = frame('ServerUserlist', 'userlist', { users: Type.Array(name) }, 'Who is online, after `id` and whenever someone signs in, changes name or leaves. No `seq`: it is state, sent again when it changes.');
export const ServerRejectUsername = frame('ServerRejectUsername', 'rejectusername', { id: connectionId, name: Type.String({ description: 'The name given instead, HTML-escaped' }) }, 'To the sender alone: the name asked for was taken (by look); this one was given.');
export const ServerUsername = frame('ServerUsername', 'username', { name, id: connectionId, date, seq }, 'To everyone: a sign-in.');
export const ServerRoomMessage = frame('ServerRoomMessage', 'message', { name, text: Type.String({ description: 'HTML-escaped' }), id: connectionId, date, room, seq }, 'A message, to everyone in its room.');
export const ServerPrivateMessage = frame(
  'ServerPrivateMessage',
  'message',
  { name, target: Type.String({ description: 'The receiver' }), text: Type.String({ description: 'HTML-escaped' }), id: connectionId, date: Type.Number({ description: "The server's clock" }), seq },
  'A message to the `target` alone.',
);

const signal = ($id: string, type: string, carries: Record<string, TSchema>, description: string) =>
  frame($id, type, { name, target: Type.String({ description: 'The receiver' }), ...carries, seq }, description + ' Relayed with the documented fields of its type only.');
const sdp = Type.Optional(Type.Unknown({ description: 'As the sender sent it' }));
export const ServerVideoOffer = signal('ServerVideoOffer', 'video-offer', { sdp }, 'WebRTC: an offer from `name`.');
export const ServerVideoAnswer = signal('ServerVideoAnswer', 'video-answer', { sdp }, 'WebRTC: an answer from `name`.');
export const ServerNewIceCandidate = signal('ServerNewIceCandidate', 'new-ice-candidate', { candidate: Type.Optional(Type.Unknown({ description: 'As the sender sent it' })) }, 'WebRTC: an ICE candidate from `name`.');
export const ServerHangUp = signal('ServerHangUp', 'hang-up', {}, 'WebRTC: `name` ended the call.');

export const ServerJoined = frame(
  'ServerJoined',
  'joined',
  { room, seq: Type.Integer({ minimum: 0, description: "Where the room's live stream starts: set your last seq to at least it" }), history: Type.Array(ServerRoomMessage, { description: "The room's last CHAT_HISTORY messages, oldest first" }) },
  'Answers `join`.',
);
export const ServerLeft = frame('ServerLeft', 'left', { room }, 'Answers `leave`.');

export const ServerSubscribed = named('ServerSubscribed', 'subscribed', { seq: Type.Integer({ minimum: 0, description: 'Caught up to here; live from here: a position to resubscribe after' }) }, 'Answers `subscribe`, after its snapshot and replayed events.');
export const ServerUnsubscribed = named('ServerUnsubscribed', 'unsubscribed', {}, 'Answers `unsubscribe`.');

export const ServerResumed = frame(
  'ServerResumed',
  'resumed',
  {
    session: Type.String(),
    id: connectionId,
    name: Type.Union([name, Type.Null()]),
    rooms: Type.Array(room),
    topics: Type.Array(Type.String(), { description: 'Topics and live query keys' }),
    seq: Type.Integer({ minimum: 0, description: 'The position resumed from' }),
    missed: Type.Integer({ minimum: 0, description: 'Exactly how many frames follow before the live ones' }),
  },
  'Answers a resume (the `resume` frame, or `?session=…&seq=…` at the handshake), before the missed frames.',
);

/** The codes an `error` frame carries; the others are close codes (src/chat/errors.ts). */
export const ERROR_FRAME_CODES = Object.entries(SOCKET_ERRORS)
  .filter(([, entry]) => !('closeCode' in entry))
  .map(([code]) => code);

export const ServerError = frame(
  'ServerError',
  'error',
  {
    code: Type.Union(ERROR_FRAME_CODES.map((code) => Type.Literal(code))),
    message: Type.String({ description: 'Safe to show; what was wrong' }),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }, { additionalProperties: false }), { description: "A live query's bad parameters, as its GET's problem lists them" })),
    query: Type.Optional(Type.String({ description: 'The live query refused, as sent' })),
  },
  'Bad input, or a request that failed; the connection stays open.',
);

/** Every chat frame the server sends; the live ones (event, reset, snapshot) are src/live/frame-schemas.ts's. */
export const SERVER_CHAT_FRAMES = [
  ServerId,
  ServerUserlist,
  ServerRejectUsername,
  ServerUsername,
  ServerRoomMessage,
  ServerPrivateMessage,
  ServerVideoOffer,
  ServerVideoAnswer,
  ServerNewIceCandidate,
  ServerHangUp,
  ServerJoined,
  ServerLeft,
  ServerSubscribed,
  ServerUnsubscribed,
  ServerResumed,
  ServerError,
] as const;
