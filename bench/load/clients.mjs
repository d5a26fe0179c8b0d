/**
 * Opens the same kind of client against each server: `ws` with the `json` subprotocol for
 * Boutique's chat, plain `ws` for the bare broadcast loop, socket.io-client (WebSocket
 * transport only) for Socket.IO. `onText(text)` gets every chat frame as a string.
 */
import WebSocket from 'ws';
import { io } from 'socket.io-client';

export function connect(kind, url, onText) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connect timeout')), 30_000);
    if (kind === 'socketio') {
      const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 30_000 });
      socket.on('chat', (msg) => onText?.(msg));
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve({ send: (text) => socket.emit('chat', text), close: () => socket.disconnect() });
      });
      socket.once('connect_error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      return;
    }
    const ws = kind === 'boutique' ? new WebSocket(url, 'json', { perMessageDeflate: false }) : new WebSocket(url, { perMessageDeflate: false });
    ws.on('message', (data) => onText?.(data.toString()));
    ws.once('open', () => {
      clearTimeout(timer);
      resolve({ send: (text) => ws.send(text), close: () => ws.terminate(), ws });
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Opens `count` clients, `parallel` handshakes at a time, with `connector` (this file's `connect`,
 * or lean-client.mjs's `connectLean`). Returns the clients and how many failed.
 */
export async function connectMany(kind, url, count, parallel, onText, connector = connect) {
  const clients = [];
  let failed = 0;
  let next = 0;
  let firstError;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        clients.push(await connector(kind, url, onText ? (t) => onText(i, t) : undefined));
      } catch (err) {
        failed++;
        firstError ??= String(err?.message ?? err);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { clients, failed, firstError };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
