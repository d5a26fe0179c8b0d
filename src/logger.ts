import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DestinationStream } from 'pino';
import type { FastifyServerOptions } from 'fastify';
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
 * Fastify's genReqId: the client's X-Request-Id when it is a sane token of at most 128
 * characters (so a request keeps one id across a proxy and this server), a random UUID otherwise.
 */
export function requestIdFor(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  const offered = Array.isArray(header) ? header[0] : header;
  return offered !== undefined && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
}

const EMAIL = /[^\s/?&=#]+(?:@|%40)[^\s/?&=#]+/i;
const EMAILS = new RegExp(EMAIL.source, 'gi');
const SECRET_PARAMS = /([?&](?:token|access_token|api_key|apikey|password)=)[^&#]*/gi;

/** The URL as logged at info: e-mail addresses (`?email=…`, `?q=…`) and token parameters masked. */
export function safeUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]').replace(EMAILS, '[email]');
}
