/**
 * The fan-out scenario's receivers: a WebSocket client (RFC 6455) on a bare TCP socket, read
 * with `net.connect({ onread })` so a delivered frame costs the load process one read and a
 * slice, not a trip through two streams and an EventEmitter.
 *
 * Why not the `ws` client: with 1,000 receivers in one process it spent ~25 µs of CPU per
 * delivered message against the servers' ~17 µs, so the load process, not the server, set the
 * paced p99 (every broadcast took as long as the load process needed to read it). The servers
 * are then compared by how long they take, not by how long their reader takes. See
 * docs/benchmarks.md, "Paced latency and the load process".
 *
 * Speaks what the three servers need: plain text frames (Boutique's chat with the `json`
 * subprotocol, the bare ws loop) and Engine.IO 4 / Socket.IO 5 packets over the same frames
 * (`0` open, `40` connect, `2`/`3` ping/pong, `42["chat",…]` events) for Socket.IO.
 */
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** One read buffer for every socket: `onread` callbacks run one at a time and copy what they keep. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/** A masked client frame (RFC 6455 §5.3: every client frame is masked). */
function clientFrame(opcode, payload) {
  const len = payload.length;
  const headerLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headerLen + 4 + len);
  out[0] = 0x80 | opcode;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = randomBytes(4);
  mask.copy(out, headerLen);
  const at = headerLen + 4;
  for (let i = 0; i < len; i++) out[at + i] = payload[i] ^ mask[i & 3];
  return out;
}

/**
 * Opens one WebSocket. `onText(text, ws)` gets each text message — or, given `onTextBytes(buf,
 * start, end, ws)` instead, its UTF-8 bytes in place (valid only during the call), for a reader that
 * must not pay a string per message; `onClose()` is called once when the socket is gone. Resolves
 * once the handshake is done with `{ sendText, close }`.
 */
export function openWebSocket(url, { protocol, onText, onTextBytes, onClose, timeoutMs = 30_000 } = {}) {
  const u = new URL(url);
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  return new Promise((resolve, reject) => {
    let handshake = Buffer.alloc(0);
    let open = false;
    /** Bytes of an incomplete frame carried over to the next read. */
    let pending = null;
    const timer = setTimeout(() => fail(new Error('connect timeout')), timeoutMs);
    const fail = (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const api = {
      sendText: (text) => socket.write(clientFrame(OP_TEXT, Buffer.from(text, 'utf8'))),
      close: () => socket.destroy(),
    };

    /** Parses every complete frame in buf[from, to); returns where the unparsed rest begins. */
    const frames = (buf, from, to) => {
      let at = from;
      while (to - at >= 2) {
        const opcode = buf[at] & 0x0f;
        let len = buf[at + 1] & 0x7f;
        let head = 2;
        if (len === 126) {
          if (to - at < 4) break;
          len = buf.readUInt16BE(at + 2);
          head = 4;
        } else if (len === 127) {
          if (to - at < 10) break;
          len = Number(buf.readBigUInt64BE(at + 2));
          head = 10;
        }
        if (to - at < head + len) break;
        const start = at + head;
        if (opcode === OP_TEXT) {
          if (onTextBytes) onTextBytes(buf, start, start + len, api);
          else onText?.(buf.toString('utf8', start, start + len), api);
        }
        else if (opcode === OP_PING) socket.write(clientFrame(OP_PONG, buf.subarray(start, start + len)));
        else if (opcode === OP_CLOSE) socket.end();
        at = start + len;
      }
      return at;
    };

    const onread = (nread, buf) => {
      if (!open) {
        handshake = Buffer.concat([handshake, buf.subarray(0, nread)]);
        const end = handshake.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = handshake.toString('latin1', 0, end);
        if (!/^HTTP\/1\.1 101 /.test(head)) return fail(new Error(head.split('\r\n')[0]));
        if (!new RegExp(`\\r\\nsec-websocket-accept: *${accept.replace(/[+/=]/g, '\\$&')}`, 'i').test(head)) return fail(new Error('bad Sec-WebSocket-Accept'));
        open = true;
        clearTimeout(timer);
        const rest = handshake.subarray(end + 4);
        handshake = null;
        resolve(api);
        if (rest.length > 0) onread(rest.length, Buffer.from(rest));
        return;
      }
      if (pending) {
        const all = Buffer.concat([pending, buf.subarray(0, nread)]);
        const at = frames(all, 0, all.length);
        pending = at < all.length ? all.subarray(at) : null;
        return;
      }
      const at = frames(buf, 0, nread);
      if (at < nread) pending = Buffer.from(buf.subarray(at, nread));
    };

    const socket = net.connect({ host: u.hostname, port: Number(u.port), onread: { buffer: READ_BUFFER, callback: onread } });
    socket.setNoDelay(true);
    socket.on('error', (err) => (open ? undefined : fail(err)));
    if (onClose) socket.once('close', () => open && onClose());
    socket.on('connect', () => {
      socket.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : ''}\r\n`,
      );
    });
  });
}

/**
 * The same client shape as clients.mjs's `connect`: `{ send(text), close() }`, `onText(text)` for
 * every chat message. Socket.IO speaks Engine.IO 4 packets over the WebSocket transport.
 */
export async function connectLean(kind, url, onText) {
  if (kind !== 'socketio') {
    const ws = await openWebSocket(url, { protocol: kind === 'boutique' ? 'json' : undefined, onText });
    return { send: ws.sendText, close: ws.close };
  }
  let connected;
  const ready = new Promise((resolve) => (connected = resolve));
  const u = new URL(url);
  const ws = await openWebSocket(`ws://${u.host}/socket.io/?EIO=4&transport=websocket`, {
    // The open packet may come in the handshake's own read, before `ws` below is assigned.
    onText: (packet, ws) => {
      switch (packet.charCodeAt(0)) {
        case 0x30 /* 0 open */:
          ws.sendText('40');
          return;
        case 0x32 /* 2 ping */:
          ws.sendText('3');
          return;
        case 0x34 /* 4 message */:
          if (packet.charCodeAt(1) === 0x30 /* 40 connect */) connected();
          else if (packet.charCodeAt(1) === 0x32 /* 42 event */) {
            const [event, msg] = JSON.parse(packet.slice(2));
            if (event === 'chat') onText?.(msg);
          }
      }
    },
  });
  await ready;
  return { send: (text) => ws.sendText('42' + JSON.stringify(['chat', text])), close: ws.close };
}
