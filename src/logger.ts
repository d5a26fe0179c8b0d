import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DestinationStream } from 'pino';
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger.js';
import type { Config } from './config.js';

/** Where logs go and how: tests pass a stream to read the lines back. */
export interface LogOptions {
  /** Write JSON lines here instead of stdout (never pretty). */
  logStream?: DestinationStream;
}

/**
 * pino options: JSON lines, one per request at info (see the onResponse hook in src/http),
 * nothing sensitive (authorization and cookies are redacted, URLs pass through `safeUrl`),
 * pretty when attached to a terminal.
 */
export function createLoggerOptions(config: Pick<Config, 'logLevel'>, options: LogOptions = {}): FastifyServerOptions['logger'] {
  const base = {
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'headers.authorization', 'headers.cookie', 'authorization', 'token'],
      censor: '[redacted]',
    },
  };
  if (options.logStream !== undefined) return { ...base, stream: options.logStream };
  return {
    ...base,
    ...(process.stdout.isTTY && config.logLevel !== 'silent'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
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

/** Fastify's `childLoggerFactory`: a request's logger, made lazily (see RequestLogger). */
export function requestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(logger, bindings, options);
}
