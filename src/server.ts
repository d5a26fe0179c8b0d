import type { Config } from './config.js';
import { buildApp, type App } from './app.js';

export interface RunningServer {
  app: App;
  url: string;
  /** Stops accepting, finishes in-flight requests, closes sockets with 1001; resolves when done. */
  shutdown(signal?: string): Promise<void>;
}

/** Listens and handles the process lifecycle; everything else is built by buildApp (STYLE.md item 9). */
export async function startServer(config: Config): Promise<RunningServer> {
  const app = await buildApp(config);
  const url = await app.listen({ port: config.port, host: config.host });
  let closing: Promise<void> | undefined;
  const shutdown = (signal = 'shutdown'): Promise<void> =>
    (closing ??= (async () => {
      app.log.info({ signal }, 'shutting down: draining requests and closing sockets');
      const timer = setTimeout(() => {
        app.log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs);
      timer.unref();
      await app.close();
      clearTimeout(timer);
      app.log.info('stopped');
    })());
  return { app, url, shutdown };
}

export function exitOnSignals(server: RunningServer): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      server.shutdown(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          server.app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
