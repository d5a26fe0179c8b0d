import type { FastifyServerOptions } from 'fastify';

/**
 * How long a client may take to send its request (slow-loris defence). They cover receiving the
 * request only: a response that streams for hours (GET /events) and an upgraded WebSocket are
 * not cut by them. Idle keep-alive connections close after keepAliveTimeoutMs.
 */
export interface HttpTimeouts {
  /** Until the request's headers are complete; Node answers 408 and closes after it. */
  headersTimeoutMs: number;
  /** Until the whole request, body included, is received. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. Above a load balancer's idle timeout (60 s on AWS). */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000 };

/** The Fastify and node:http options for `timeouts`; `https` (TLS) takes the same server options. */
export function timeoutOptions(overrides: Partial<HttpTimeouts> = {}): { server: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number }; fastify: Pick<FastifyServerOptions, 'requestTimeout' | 'keepAliveTimeout'> } {
  const t = { ...DEFAULT_TIMEOUTS, ...overrides };
  // Node refuses headersTimeout > requestTimeout; the request includes its headers anyway.
  const requestTimeout = Math.max(t.requestTimeoutMs, t.headersTimeoutMs);
  return {
    // Node checks the timeouts every connectionsCheckingInterval (30 s by default): check often
    // enough that a 10 s headers timeout means about 10 s.
    server: { headersTimeout: t.headersTimeoutMs, requestTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(t.headersTimeoutMs / 4))) },
    // Fastify sets server.requestTimeout itself (0 by default, which would turn Node's off).
    fastify: { requestTimeout, keepAliveTimeout: t.keepAliveTimeoutMs },
  };
}
