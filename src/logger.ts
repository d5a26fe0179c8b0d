import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pino, stdSerializers, type DestinationStream, type LoggerOptions } from 'pino';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger.js';
import type { Config } from './config.js';

/** Where logs go and how: tests pass a stream to read the lines back. */
export interface LogOptions {
  /** Write JSON lines here instead of stdout (never pretty). */
  logStream?: DestinationStream;
}

/**
 * The process's logger: JSON lines, one per request at info (see the onSend hook in src/http),
 * nothing sensitive (authorization and cookies are redacted, URLs pass through `safeUrl`),
 * pretty when attached to a terminal.
 *
 * Built here rather than by Fastify: a Fastify given a logger listens for the end of every
 * response (two listeners added and removed per request, about 3% of a primary-key read) to
 * time it; Boutique times its answers itself (`elapsedMs`) and gives Fastify this logger only
 * as `app.log` and, per request, through `requestLoggerFactory`.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, options: LogOptions = {}): FastifyBaseLogger {
  const base: LoggerOptions = {
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'headers.authorization', 'headers.cookie', 'authorization', 'token'],
      censor: '[redacted]',
    },
    serializers: { err: stdSerializers.err },
  };
  if (options.logStream !== undefined) return pino(base, options.logStream);
  if (process.stdout.isTTY && config.logLevel !== 'silent') {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino(base);
}

/**
 * Calls `warn` with an error at most once per `everyMs`: for failures that repeat for as long as
 * an outage lasts (Redis away, a checkpoint that keeps failing) and would otherwise flood the log.
 */
export function warnAtMost(everyMs: number, warn: (err: Error) => void): (err: Error) => void {
  let last = -Infinity;
  return (err) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    warn(err);
  };
}

/** A request id a client may choose: a plain token, so it cannot forge log lines or headers. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._~:\/+=-]{1,128}$/;

/**
 * The first 20 hex digits of the ids this process generates, random (with the version-4 and
 * variant bits of a UUID); the last 12 count its requests. Each id is a well-formed UUID, unique
 * across processes as a random one would be, and made with a string concatenation rather than
 * `randomUUID()` per request (0.3 µs, 1.5% of a primary-key read). The ids of one process share
 * their prefix — which says which instance answered — and sort in the order requests came.
 */
const ID_PREFIX = (() => {
  const bytes = randomBytes(10);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-`;
})();
let generated = 0;

/**
 * Fastify's genReqId: the client's X-Request-Id when it is a sane token of at most 128
 * characters (so a request keeps one id across a proxy and this server), a generated UUID otherwise.
 */
export function requestIdFor(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  const offered = Array.isArray(header) ? header[0] : header;
  if (offered !== undefined && SANE_REQUEST_ID.test(offered)) return offered;
  generated = (generated + 1) % 0x1000000000000;
  return ID_PREFIX + generated.toString(16).padStart(12, '0');
}

const EMAIL = /[^\s/?&=#]+(?:@|%40)[^\s/?&=#]+/i;
const EMAILS = new RegExp(EMAIL.source, 'gi');
const SECRET_PARAMS = /([?&](?:token|access_token|api_key|apikey|password)=)[^&#]*/gi;

/** The URL as logged at info: e-mail addresses (`?email=…`, `?q=…`) and token parameters masked. */
export function safeUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]').replace(EMAILS, '[email]');
}

type LogMethod = (...args: unknown[]) => void;

/**
 * The logger a request gets (Fastify's `request.log`), whose pino child — bound to the request
 * id — is made on the first line the request actually writes. Fastify makes a child per request;
 * a pino child copies the parent's bindings and serializes its own (0.4 µs measured, about 2% of
 * a primary-key read), while below info (the production setting) most requests never log.
 */
class RequestLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined;
  /** When the request began: Fastify makes its logger first thing, before routing and hooks. */
  readonly startedAt = performance.now();

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  #logger(): FastifyBaseLogger {
    return (this.#child ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.#child?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.#logger().level = level;
  }

  /** Writes at `level` through the child, made now if this is the request's first line. */
  #log(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent', args: unknown[]): void {
    (this.#logger()[level] as LogMethod)(...args);
  }

  fatal(...args: unknown[]): void { this.#log('fatal', args); }
  error(...args: unknown[]): void { this.#log('error', args); }
  warn(...args: unknown[]): void { this.#log('warn', args); }
  info(...args: unknown[]): void { this.#log('info', args); }
  debug(...args: unknown[]): void { this.#log('debug', args); }
  trace(...args: unknown[]): void { this.#log('trace', args); }
  silent(...args: unknown[]): void { this.#log('silent', args); }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger().child(bindings, options);
  }
}

/**
 * Fastify's `childLoggerFactory`: a request's logger, a lazy child of `root` (see RequestLogger).
 * Fastify's own parent is ignored: Fastify runs without a logger of its own (see createLogger).
 */
export function requestLoggerFactory(root: FastifyBaseLogger): (parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) => FastifyBaseLogger {
  return (_parent, bindings, options) => new RequestLogger(root, bindings, options);
}

/** Milliseconds since `request` began (0 for a request whose logger is not a RequestLogger). */
export function elapsedMs(request: FastifyRequest): number {
  const log = request.log;
  return log instanceof RequestLogger ? performance.now() - log.startedAt : 0;
}
