import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';

/**
 * pino options: JSON lines, one per request at info (see the onResponse hook in src/http),
 * nothing sensitive (authorization and cookies are redacted), pretty when attached to a terminal.
 */
export function createLoggerOptions(config: Pick<Config, 'logLevel'>): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'], censor: '[redacted]' },
    ...(process.stdout.isTTY && config.logLevel !== 'silent'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}
