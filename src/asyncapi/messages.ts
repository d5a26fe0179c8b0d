/**
 * The messages of the AsyncAPI document: every frame a client sends (`client.<what>`) and the
 * server sends (`server.<type>`), each with its schema, a title and examples (checked against
 * the schemas by test/contract-asyncapi.test.ts).
 */
import type { TSchema } from 'typebox';
import * as client from '../chat/client-frames.js';
import * as server from '../chat/server-frames.js';
import { SOCKET_ERRORS } from '../chat/errors.js';

export interface MessageSpec {
  readonly payload: TSchema;
  readonly title: string;
  readonly examples?: readonly unknown[];
}

/** Client → server, by message key: `client.<what>`. */
export const CLIENT_MESSAGES: Record<string, MessageSpec> = {
  'client.username': { payload: client.ClientUsername, title: 'Sign in', examples: [{ type: 'username', name: 'bob', id: 7, date: 1717000000000 }] },
  'client.message': { payload: client.ClientRoomMessage, title: 'Message a room', examples: [{ type: 'message', text: 'hi', id: 7, date: 1717000000000 }, { type: 'message', text: 'hi', room: 'dev' }] },
  'client.private-message': { payload: client.ClientPrivateMessage, title: 'Message one user', examples: [{ type: 'message', target: 'alice', text: 'psst' }] },
  'client.video-offer': { payload: client.ClientVideoOffer, title: 'WebRTC offer', examples: [{ type: 'video-offer', target: 'alice', sdp: { type: 'offer', sdp: 'v=0…' } }] },
  'client.video-answer': { payload: client.ClientVideoAnswer, title: 'WebRTC answer', examples: [{ type: 'video-answer', target: 'bob', sdp: { type: 'answer', sdp: 'v=0…' } }] },
  'client.new-ice-candidate': { payload: client.ClientNewIceCandidate, title: 'WebRTC ICE candidate', examples: [{ type: 'new-ice-candidate', target: 'alice', candidate: { candidate: 'candidate:…', sdpMid: '0' } }] },
  'client.hang-up': { payload: client.ClientHangUp, title: 'WebRTC hang-up', examples: [{ type: 'hang-up', target: null }] },
  'client.join': { payload: client.ClientJoin, title: 'Join a room', examples: [{ type: 'join', room: 'dev' }] },
  'client.leave': { payload: client.ClientLeave, title: 'Leave a room', examples: [{ type: 'leave', room: 'dev' }] },
  'client.subscribe': {
    payload: client.ClientSubscribe,
    title: 'Subscribe to a topic or a live query',
    examples: [{ type: 'subscribe', topic: 'customers/7/orders', after: 41 }, { type: 'subscribe', query: '/orders?status=paid', snapshot: true }],
  },
  'client.unsubscribe': { payload: client.ClientUnsubscribe, title: 'Unsubscribe', examples: [{ type: 'unsubscribe', query: '/orders?status=paid' }] },
  'client.resume': { payload: client.ClientResume, title: 'Resume a session', examples: [{ type: 'resume', session: 'mW3kq1', seq: 13, name: 'bob1', rooms: ['lobby'], topics: ['orders'] }] },
};

const CUSTOMER = { id: 3, name: 'Scylla Buss', email: 'scylla.buss@codecademy.org', createdAt: '2026-12-01T16:32:37.420Z', updatedAt: '2026-12-01T16:32:37.420Z' };

export function serverMessages(live: { event: TSchema; reset: TSchema; snapshot: TSchema }): Record<string, MessageSpec> {
  return {
    'server.id': { payload: server.ServerId, title: 'Your connection', examples: [{ type: 'id', id: 7, session: 'mW3kq1' }] },
    'server.userlist': { payload: server.ServerUserlist, title: 'Who is online', examples: [{ type: 'userlist', users: ['alice', 'bob'] }] },
    'server.rejectusername': { payload: server.ServerRejectUsername, title: 'Name taken: this one was given', examples: [{ type: 'rejectusername', id: 7, name: 'bob1' }] },
    'server.username': { payload: server.ServerUsername, title: 'A sign-in', examples: [{ type: 'username', name: 'bob1', id: 7, date: 1717000000000, seq: 12 }] },
    'server.message': { payload: server.ServerRoomMessage, title: 'A message in a room', examples: [{ type: 'message', name: 'bob1', text: 'hi &lt;3', id: 7, date: 1717000000000, room: 'lobby', seq: 13 }] },
    'server.private-message': {
      payload: server.ServerPrivateMessage,
      title: 'A message to you alone',
      examples: [{ type: 'message', name: 'bob1', target: 'alice', text: 'psst', id: 7, date: 1717000000000, seq: 14 }],
    },
    'server.video-offer': { payload: server.ServerVideoOffer, title: 'WebRTC offer', examples: [{ type: 'video-offer', name: 'bob1', target: 'alice', sdp: { type: 'offer', sdp: 'v=0…' }, seq: 15 }] },
    'server.video-answer': { payload: server.ServerVideoAnswer, title: 'WebRTC answer', examples: [{ type: 'video-answer', name: 'alice', target: 'bob1', sdp: { type: 'answer', sdp: 'v=0…' }, seq: 16 }] },
    'server.new-ice-candidate': { payload: server.ServerNewIceCandidate, title: 'WebRTC ICE candidate', examples: [{ type: 'new-ice-candidate', name: 'alice', target: 'bob1', candidate: { candidate: 'candidate:…' }, seq: 17 }] },
    'server.hang-up': { payload: server.ServerHangUp, title: 'WebRTC hang-up', examples: [{ type: 'hang-up', name: 'alice', target: 'bob1', seq: 18 }] },
    'server.joined': {
      payload: server.ServerJoined,
      title: 'Joined, with the history',
      examples: [{ type: 'joined', room: 'dev', seq: 20, history: [{ type: 'message', name: 'alice', text: 'hello', id: 2, date: 1717000000000, room: 'dev', seq: 9 }] }],
    },
    'server.left': { payload: server.ServerLeft, title: 'Left', examples: [{ type: 'left', room: 'dev' }] },
    'server.subscribed': { payload: server.ServerSubscribed, title: 'Subscribed: caught up, live from here', examples: [{ type: 'subscribed', topic: 'customers', seq: 20 }, { type: 'subscribed', query: '/orders?status=paid', seq: 20 }] },
    'server.unsubscribed': { payload: server.ServerUnsubscribed, title: 'Unsubscribed', examples: [{ type: 'unsubscribed', topic: 'customers' }] },
    'server.snapshot': { payload: live.snapshot, title: "A live query's rows", examples: [{ type: 'snapshot', query: '/customers?q=buss', data: [CUSTOMER], seq: 20 }] },
    'server.event': {
      payload: live.event,
      title: 'A change',
      examples: [
        { type: 'event', topic: 'customers', action: 'created', data: CUSTOMER, seq: 21 },
        { type: 'event', query: '/customers?q=buss', action: 'left', data: { ...CUSTOMER, name: 'Scylla B.' }, seq: 22 },
      ],
    },
    'server.reset': { payload: live.reset, title: 'Read again: the log no longer holds what you missed', examples: [{ type: 'reset', topic: 'customers', href: '/customers', seq: 122 }] },
    'server.resumed': {
      payload: server.ServerResumed,
      title: 'Resumed: the missed frames follow',
      examples: [{ type: 'resumed', session: 'mW3kq1', id: 7, name: 'bob1', rooms: ['lobby'], topics: [], seq: 13, missed: 2 }],
    },
    'server.error': {
      payload: server.ServerError,
      title: 'An error; the connection stays',
      examples: [
        { type: 'error', code: 'BAD_JSON', message: SOCKET_ERRORS.BAD_JSON.message },
        {
          type: 'error',
          code: 'BAD_REQUEST',
          message: 'query parameter "status" must be one of pending, paid, shipped, cancelled',
          errors: [{ field: 'status', message: 'must be one of pending, paid, shipped, cancelled' }],
          query: '/orders?status=bogus',
        },
      ],
    },
  };
}
