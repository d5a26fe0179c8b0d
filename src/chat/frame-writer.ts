import type { Socket } from 'node:net';
import * as ws from 'ws';
import { WebSocket } from 'ws';

/**
 * ws's own framing: the package exports its `Sender` (Socket.IO 4 pre-encodes its broadcasts
 * with `Sender.frame`: ws issue #617), but @types/ws does not declare it. An unmasked server frame
 * is the header and the payload, returned as two buffers.
 */
const Sender = (ws as unknown as { Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] } }).Sender;

const TEXT = 1;

/**
 * The fan-out's write path. A broadcast hands every receiver
 * the same string; this turns it into one complete WebSocket frame — header and payload in one
 * buffer, built once (a one-entry cache: receivers of one broadcast come one after another) —
 * and writes that buffer to each receiver's socket: no framing, no header allocation and a single
 * write per receiver, where `ws.send` frames again for every socket and writes header and payload
 * as two chunks (`writev`). Each socket's first frame of a tick goes out at once; a socket that
 * gets more in the same tick is corked until the end of it, so a busy tick's frames leave in two
 * writes per socket instead of one system call per frame.
 *
 * Writing to ws's socket is safe here because the server never compresses (perMessageDeflate is
 * off, so ws's sender never queues) and every frame — these and ws's own — is written whole,
 * synchronously. The profiles of `npm run bench` showed `writev` at half of the fan-out's CPU
 * before batching, and ws's per-socket framing at the top of the paced broadcast after it.
 */
/**
 * One receiving socket as the writer sees it: the net.Socket under ws, found once at accept, and
 * the tick it last got a frame in. A broadcast touches this object and the socket, nothing else
 * of the connection (a paced broadcast's write loop is bound by cache misses between system calls).
 */
export class Outlet {
  /** The flush generation in which the socket last got a frame. */
  tick = -1;
  /** Its backlog from before that tick. */
  backlogBefore = 0;
  /** ws keeps its net.Socket as `_socket` (also what corking needs); null for a socket ws does not expose. */
  readonly socket: Socket | null;

  constructor(readonly ws: WebSocket) {
    this.socket = (ws as unknown as { _socket?: Socket | null })._socket ?? null;
  }
}

export class FrameWriter {
  #lastText: string | undefined;
  #lastFrame: Buffer = Buffer.alloc(0);
  /** Advances at each flush: an outlet stamped with the current value got a frame this tick. */
  #tick = 0;
  /** Sockets corked this tick (they got a second frame), uncorked by the flush. */
  readonly #corked: Socket[] = [];
  #scheduled = false;

  /**
   * Writes `text` as one frame to `outlet`'s socket. The caller has checked that the socket is
   * open (ws's readyState) and passes its `backlog` (this.backlog), so a delivery reads the
   * connection's objects once: a paced broadcast's loop is bound by cache misses between system calls.
   */
  write(outlet: Outlet, text: string, backlog: number): void {
    const socket = outlet.socket;
    if (socket === null) {
      outlet.ws.send(text);
      return;
    }
    if (text !== this.#lastText) {
      this.#lastText = text;
      this.#lastFrame = Buffer.concat(Sender.frame(Buffer.from(text, 'utf8'), { fin: true, opcode: TEXT, mask: false, readOnly: false, rsv1: false }));
    }
    if (outlet.tick !== this.#tick) {
      // The socket's first frame this tick goes out at once: at a paced rate that is every frame,
      // with no cork and no uncork, and the first receivers are reading while the last are still
      // being written (corking every receiver until the end of the tick cost the paced p99
      // against a plain ws loop).
      outlet.tick = this.#tick;
      outlet.backlogBefore = backlog;
      socket.write(this.#lastFrame);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#flush);
      }
      return;
    }
    // A second frame in one tick: from here on the socket's frames wait for one write together.
    if (socket.writableCorked === 0) {
      socket.cork();
      this.#corked.push(socket);
    }
    socket.write(this.#lastFrame);
  }

  /**
   * Bytes a socket has not taken from earlier ticks: what a slow reader leaves behind. This
   * tick's frames are not counted — a batch has not been offered to the kernel yet.
   */
  backlog(outlet: Outlet): number {
    const socket = outlet.socket;
    // The socket's own count, not ws's bufferedAmount: that adds what ws's sender queued, which
    // is nothing here (no compression), and reads two more objects per delivery for it.
    if (socket === null) return outlet.ws.bufferedAmount;
    return outlet.tick === this.#tick ? outlet.backlogBefore : socket.writableLength;
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    this.#tick++;
    for (const socket of this.#corked) socket.uncork();
    this.#corked.length = 0;
  };
}
