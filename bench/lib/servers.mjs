/**
 * Starting and stopping the servers under test: Boutique (`node dist/cli.js serve`) and the peers
 * of bench/peers/, every one pinned to the server core. Peers that take part in a GC measurement
 * get bench/peers/gc-stats.mjs preloaded.
 */
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SERVER_CORE, start, stop, waitHttp } from './proc.mjs';

const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = join(BENCH, '..');
export const BOUTIQUE_CLI = join(ROOT, 'dist', 'cli.js');
export const PROFILE_DIR = join(BENCH, 'results', 'profiles');
export const peer = (file) => join(BENCH, 'peers', file);

/** Whether this build of Boutique knows an environment variable: `serve --help` lists every one it reads. */
export function boutiqueKnows(variable) {
  try {
    return execFileSync(process.execPath, [BOUTIQUE_CLI, 'serve', '--help'], { encoding: 'utf8', cwd: ROOT }).includes(variable);
  } catch {
    return false;
  }
}

/**
 * Boutique on `databaseUrl` (sqlite:<file> or postgres://…). `env` adds variables (for example
 * SQLITE_SYNCHRONOUS); `profile` runs it under --cpu-prof.
 */
export function startBoutique(port, databaseUrl, { env = {}, nofile, profile = false, name = 'boutique' } = {}) {
  const child = start(name, {
    core: SERVER_CORE,
    args: profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, BOUTIQUE_CLI, 'serve'] : [BOUTIQUE_CLI, 'serve'],
    cwd: ROOT,
    nofile,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      // The chat's per-socket flood limit (20 msg/s by default) would close the full-speed sender.
      WS_RATE_LIMIT: '100000',
      RATE_LIMIT_MAX: '0',
      // Every load client comes from 127.0.0.1: the per-client caps on sockets, handshakes and
      // event streams would refuse most of them.
      WS_MAX_PER_CLIENT: '0',
      WS_HANDSHAKE_RATE: '0',
      SSE_MAX_PER_CLIENT: '0',
      NODE_ENV: 'production',
      ...env,
    },
  });
  child.profiled = profile;
  return child;
}

/** A peer script from bench/peers/; with `gcFile`, gc-stats.mjs preloaded and writing there. */
export function startPeer(name, file, args, { nofile, gcFile, cwd } = {}) {
  const preload = gcFile ? ['--import', pathToFileURL(peer('gc-stats.mjs')).href] : [];
  return start(name, { core: SERVER_CORE, args: [...preload, peer(file), ...args.map(String)], nofile, cwd, env: gcFile ? { BENCH_GC_FILE: gcFile } : {} });
}

/** Graceful stop for a profiled Boutique (the profile is written on exit), SIGKILL otherwise. */
export const stopServer = (child) => (child.profiled ? stop(child, 'SIGTERM', 15_000) : stop(child, 'SIGKILL'));

export { waitHttp };
