/**
 * Server → client frames. Each is serialized once, where it is made; fan-out sends the very
 * same string to every receiver. Names and texts passed here are already
 * HTML-escaped (see protocol.ts).
 */
import { SOCKET_ERRORS, type SocketErrorCode } from './errors.js';

const s = JSON.stringify;

export const idFrame = (id: number, session: string): string => `{"type":"id","id":${id},"session":${s(session)}}`;

export const rejectUsernameFrame = (id: number, name: string): string => `{"type":"rejectusername","id":${id},"name":${s(name)}}`;

export const userlistFrame = (users: readonly string[]): string => `{"type":"userlist","users":${s(users)}}`;

export const usernameFrame = (name: string, id: number, date: number): string =>
  `{"type":"username","name":${s(name)},"id":${id},"date":${date}}`;

export const messageFrame = (m: { name: string; text: string; id: number; date: number; room: string }): string =>
  `{"type":"message","name":${s(m.name)},"text":${s(m.text)},"id":${m.id},"date":${m.date},"room":${s(m.room)}}`;

/** `extra`: what else the error names (the fields of a bad live query, and the query itself). */
export const errorFrame = (code: SocketErrorCode | string, message: string = code in SOCKET_ERRORS ? SOCKET_ERRORS[code as SocketErrorCode].message : code, extra?: Readonly<Record<string, unknown>>): string =>
  extra === undefined ? `{"type":"error","code":${s(code)},"message":${s(message)}}` : s({ type: 'error', code, message, ...extra });

/** History payloads are stored frames, embedded as they are: no parse, no re-serialization. */
export const joinedFrame = (room: string, seq: number, history: readonly string[]): string =>
  `{"type":"joined","room":${s(room)},"seq":${seq},"history":[${history.join(',')}]}`;

export const leftFrame = (room: string): string => `{"type":"left","room":${s(room)}}`;

/** `kind`: the field naming what was subscribed to, `topic` or `query` (src/live/topics.ts). */
export const subscribedFrame = (kind: 'topic' | 'query', key: string, seq: number): string => `{"type":"subscribed","${kind}":${s(key)},"seq":${seq}}`;

export const unsubscribedFrame = (kind: 'topic' | 'query', key: string): string => `{"type":"unsubscribed","${kind}":${s(key)}}`;

export const resumedFrame = (r: { session: string; id: number; name: string | undefined; rooms: string[]; topics: string[]; seq: number; missed: number }): string =>
  s({ type: 'resumed', session: r.session, id: r.id, name: r.name ?? null, rooms: r.rooms, topics: r.topics, seq: r.seq, missed: r.missed });
