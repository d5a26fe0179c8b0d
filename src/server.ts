import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import { buildApp, type App, type BuildOptions } from './app.js';

export interface RunningServer {
  app: App;
  url: string;
  /** Stops accepting, finishes in-flight requests, closes sockets with 1001; resolves when done. */
  shutdown(signal?: string): Promise<void>;
}

/** Listens and handles the process lifecycle; everything else is built by buildApp. */
export async function startServer(config: Config, options: BuildOptions = {}): Promise<RunningServer> {
  const app = await buildApp(config, options);
  const url = await app.listen({ port: config.port, host: config.host });
  let closing: Promise<void> | undefined;
  const shutdown = (signal = 'shutdown'): Promise<void> =>
    (closing ??= (async () => {
      app.log.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: draining requests and closing sockets');
      const timer = setTimeout(() => {
        // Bounded: what has not finished by now is cut, and the exit code says so.
        app.log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; closing the remaining connections');
        app.server.closeAllConnections();
        void flushLogs(app.log).then(() => process.exit(1));
      }, config.shutdownTimeoutMs);
      timer.unref();
      await app.close();
      clearTimeout(timer);
      app.log.info({ signal }, 'stopped');
    })());
  return { app, url, shutdown };
}

/** pino buffers (and pino-pretty runs in a worker): write everything out before process.exit. */
export function flushLogs(log: FastifyBaseLogger): Promise<void> {
  const flushable = log as FastifyBaseLogger & { flush?: (cb?: (err?: Error) => void) => void };
  const flush = flushable.flush?.bind(flushable);
  if (flush === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    try {
      flush(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/**
 * SIGTERM/SIGINT: drain and exit 0; a second signal exits at once (someone is impatient).
 * Installed before the server starts (it takes the starting server, not the started one): a signal
 * that came between "listening" and the handlers killed the process without draining it
 * (test/lifecycle.test.ts caught it once in CI). One that comes while the server is still
 * starting waits for the start, then drains; if the start fails, its own error ends the process.
 */
export function exitOnSignals(starting: Promise<RunningServer>): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    for (const s of ['SIGTERM', 'SIGINT'] as const) {
      process.removeListener(s, onSignal);
      process.once(s, () => process.exit(130));
    }
    starting.then(
      (server) =>
        server.shutdown(signal).then(
          () => flushLogs(server.app.log).then(() => process.exit(0)),
          (err: unknown) => {
            server.app.log.error({ err }, 'shutdown failed');
            void flushLogs(server.app.log).then(() => process.exit(1));
          },
        ),
      () => {},
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
