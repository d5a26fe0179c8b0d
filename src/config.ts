/**
 * Configuration is parsed once, at boot, into a typed object.
 * Every variable can come from the environment or from the same-named CLI flag
 * (`PORT` ↔ `--port`); a flag wins over the environment. A bad value throws a
 * ConfigError whose message is the one line the entry point prints.
 */
import { hostname } from 'node:os';
import proxyAddr from '@fastify/proxy-addr';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Which proxies' X-Forwarded-* headers are believed: none, every hop, or these addresses and CIDR ranges. */
export type TrustProxy = boolean | string[];

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  sqliteSynchronous: 'full' | 'normal';
  redisUrl: string | undefined;
  redisPrefix: string;
  apiToken: string | undefined;
  readTokenRequired: boolean;
  allowedOrigins: string[] | undefined;
  trustProxy: TrustProxy;
  logLevel: LogLevel;
  bodyLimit: number;
  chatHistory: number;
  wsMaxFrame: number;
  wsRateLimit: number;
  wsHeartbeatMs: number;
  wsSendBufferMax: number;
  wsMaxPerClient: number;
  wsHandshakeRate: number;
  sseKeepAliveMs: number;
  sseMaxPerClient: number;
  liveSnapshotMax: number;
  logRetentionMs: number;
  logRetentionCount: number;
  rateLimitMax: number;
  rateLimitWindowMs: number;
  shutdownTimeoutMs: number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  instanceId: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface Option<K extends keyof Config> {
  key: K;
  env: string;
  description: string;
  /** Shown by --help and the README; undefined means "unset". */
  fallback: string | undefined;
  parse: (raw: string, env: string) => Config[K];
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(min: number, max: number) {
  return (raw: string, env: string): number => {
    if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${env} must be an integer, got ${shown(raw)}`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(`${env} must be between ${min} and ${max}, got ${shown(raw)}`);
    return n;
  };
}

/** The offending value, quoted and escaped: the error stays one line even if the value spans several. */
const shown = (raw: string): string => JSON.stringify(raw);

function text(raw: string): string {
  return raw;
}

function optionalText(raw: string): string | undefined {
  return raw === '' ? undefined : raw;
}

function boolean(raw: string, env: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new ConfigError(`${env} must be true or false, got ${shown(raw)}`);
}

function databaseUrl(raw: string, env: string): string {
  if (raw.startsWith('sqlite:') && raw.length > 'sqlite:'.length) return raw;
  if (/^postgres(ql)?:\/\/./.test(raw)) return raw;
  throw new ConfigError(`${env} must be sqlite:<path>, sqlite::memory: or postgres://…, got ${shown(raw)}`);
}

function synchronous(raw: string, env: string): 'full' | 'normal' {
  const v = raw.trim().toLowerCase();
  if (v === 'full' || v === 'normal') return v;
  throw new ConfigError(`${env} must be full or normal, got ${shown(raw)}`);
}

function redisUrl(raw: string, env: string): string | undefined {
  if (raw === '') return undefined;
  if (/^rediss?:\/\/./.test(raw)) return raw;
  throw new ConfigError(`${env} must be redis://… or rediss://…, got ${shown(raw)}`);
}

function redisPrefix(raw: string, env: string): string {
  if (!/^[\w:.-]{1,64}$/.test(raw)) throw new ConfigError(`${env} must be 1–64 letters, digits or _ : . -, got ${shown(raw)}`);
  return raw;
}

function origins(raw: string, env: string): string[] | undefined {
  if (raw.trim() === '') return undefined;
  const list = raw.split(',').map((o) => o.trim()).filter(Boolean);
  for (const o of list) {
    if (o !== '*' && !(/^https?:\/\/[^/\s]+$/.test(o) && URL.canParse(o))) {
      throw new ConfigError(`${env} must be a comma-separated list of origins like https://shop.example, got ${shown(o)}`);
    }
  }
  // Browsers send an origin serialised (lower-case, no default port): so is the list, to compare whole.
  return list.includes('*') ? undefined : list.map((o) => new URL(o).origin);
}

/** A token anyone could guess in a few tries protects nothing: refuse it at start-up. Its value is never shown. */
const MIN_TOKEN = 16;
function apiToken(raw: string, env: string): string | undefined {
  if (raw === '') return undefined;
  if (raw.length < MIN_TOKEN) throw new ConfigError(`${env} must be at least ${MIN_TOKEN} characters, got ${raw.length}`);
  return raw;
}

function trustProxy(raw: string, env: string): TrustProxy {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  const list = raw.split(',').map((a) => a.trim()).filter(Boolean);
  try {
    proxyAddr.compile(list);
  } catch {
    throw new ConfigError(`${env} must be true, false or a comma-separated list of proxy addresses or CIDR ranges, got ${shown(raw)}`);
  }
  return list;
}

function logLevel(raw: string, env: string): LogLevel {
  const v = raw.trim().toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(v)) throw new ConfigError(`${env} must be one of ${LOG_LEVELS.join(', ')}, got ${shown(raw)}`);
  return v;
}

function host(raw: string, env: string): string {
  if (raw.trim() === '' || /\s/.test(raw)) throw new ConfigError(`${env} must be a host name or address, got ${shown(raw)}`);
  return raw.trim();
}

// The table is the single description of every variable: parsing, --help and the README's table.
export const OPTIONS: { [K in keyof Config]: Option<K> } = {
  port: { key: 'port', env: 'PORT', fallback: '3000', parse: integer(0, 65535), description: 'TCP port for HTTP and WebSocket (0 picks a free one)' },
  host: { key: 'host', env: 'HOST', fallback: '127.0.0.1', parse: host, description: 'Address to listen on (0.0.0.0 for every interface)' },
  databaseUrl: { key: 'databaseUrl', env: 'DATABASE_URL', fallback: 'sqlite:./data/boutique.db', parse: databaseUrl, description: 'sqlite:<path>, sqlite::memory: or postgres://user@host/db' },
  sqliteSynchronous: { key: 'sqliteSynchronous', env: 'SQLITE_SYNCHRONOUS', fallback: 'full', parse: synchronous, description: 'full: every acknowledged write survives a power cut (answered after an fsync of the log, one per group of commits, off the event loop); normal: only a crash of the process' },
  redisUrl: { key: 'redisUrl', env: 'REDIS_URL', fallback: undefined, parse: redisUrl, description: 'redis://host:port to share chat and events between instances; unset: in-process bus' },
  redisPrefix: { key: 'redisPrefix', env: 'REDIS_PREFIX', fallback: 'boutique:', parse: redisPrefix, description: 'Prefix of every Redis key and channel, so several shops can share one Redis' },
  apiToken: { key: 'apiToken', env: 'BOUTIQUE_API_TOKEN', fallback: undefined, parse: apiToken, description: 'When set (16 characters or more), writes need Authorization: Bearer <token>' },
  readTokenRequired: { key: 'readTokenRequired', env: 'BOUTIQUE_READ_TOKEN_REQUIRED', fallback: 'false', parse: boolean, description: 'When true (and a token is set), reads need the token too' },
  allowedOrigins: { key: 'allowedOrigins', env: 'ALLOWED_ORIGINS', fallback: undefined, parse: origins, description: "Comma-separated origins allowed for WebSocket handshakes, CORS and form posts, compared whole (list this server's own public origin too: browsers' sockets are checked against the list alone); unset: WebSockets from any origin, no CORS headers (same-origin only), form posts from this origin only" },
  trustProxy: { key: 'trustProxy', env: 'TRUST_PROXY', fallback: 'false', parse: trustProxy, description: 'Believe X-Forwarded-For/-Proto/-Host from these proxies: false, true (every hop) or their comma-separated addresses/CIDR ranges (or loopback, uniquelocal); decides the client address of the rate limit and the per-client caps' },
  logLevel: { key: 'logLevel', env: 'LOG_LEVEL', fallback: 'info', parse: logLevel, description: LOG_LEVELS.join(', ') },
  bodyLimit: { key: 'bodyLimit', env: 'BODY_LIMIT', fallback: '1048576', parse: integer(1024, 100 * 1024 * 1024), description: 'Largest request body in bytes (413 above it)' },
  chatHistory: { key: 'chatHistory', env: 'CHAT_HISTORY', fallback: '50', parse: integer(0, 10_000), description: 'Messages of a room sent to a client when it joins' },
  wsMaxFrame: { key: 'wsMaxFrame', env: 'WS_MAX_FRAME', fallback: '65536', parse: integer(128, 16 * 1024 * 1024), description: 'Largest WebSocket message in bytes (close 1009 above it)' },
  wsRateLimit: { key: 'wsRateLimit', env: 'WS_RATE_LIMIT', fallback: '20', parse: integer(1, 100_000), description: 'Messages per second one socket may send (burst of twice that); close 1008 when flooded' },
  wsHeartbeatMs: { key: 'wsHeartbeatMs', env: 'WS_HEARTBEAT_MS', fallback: '30000', parse: integer(100, 3_600_000), description: 'Ping interval; a peer silent for two intervals is dropped' },
  wsSendBufferMax: { key: 'wsSendBufferMax', env: 'WS_SEND_BUFFER_MAX', fallback: '1048576', parse: integer(1024, 1024 * 1024 * 1024), description: 'Bytes queued for one WebSocket or event stream before it is cut off as a slow reader' },
  wsMaxPerClient: { key: 'wsMaxPerClient', env: 'WS_MAX_PER_CLIENT', fallback: '256', parse: integer(0, 10_000_000), description: 'Open WebSockets one client address may hold (0: no cap); the handshake over it is refused with 429' },
  wsHandshakeRate: { key: 'wsHandshakeRate', env: 'WS_HANDSHAKE_RATE', fallback: '20', parse: integer(0, 100_000), description: 'WebSocket handshakes per second one client address may make (bursts of twice that; 0: no limit); 429 above it' },
  sseKeepAliveMs: { key: 'sseKeepAliveMs', env: 'SSE_KEEPALIVE_MS', fallback: '15000', parse: integer(100, 3_600_000), description: 'Interval of keep-alive comments on /events' },
  sseMaxPerClient: { key: 'sseMaxPerClient', env: 'SSE_MAX_PER_CLIENT', fallback: '64', parse: integer(0, 10_000_000), description: 'Open /events streams one client address may hold (0: no cap); 429 over it' },
  liveSnapshotMax: { key: 'liveSnapshotMax', env: 'LIVE_SNAPSHOT_MAX', fallback: '1000', parse: integer(1, 100_000), description: "The most rows a live query's snapshot holds; a query matching more is refused with 400" },
  logRetentionMs: { key: 'logRetentionMs', env: 'LOG_RETENTION_MS', fallback: '86400000', parse: integer(60_000, 365 * 86_400_000), description: 'How long the change log keeps an entry for resume and replay (older positions get a reset)' },
  logRetentionCount: { key: 'logRetentionCount', env: 'LOG_RETENTION_COUNT', fallback: '100000', parse: integer(100, 10_000_000), description: 'The most entries the change log keeps (the newest); a resume from before them gets a reset' },
  rateLimitMax: { key: 'rateLimitMax', env: 'RATE_LIMIT_MAX', fallback: '0', parse: integer(0, 10_000_000), description: 'HTTP requests per client per window (0: no limit); 429 with Retry-After above it' },
  rateLimitWindowMs: { key: 'rateLimitWindowMs', env: 'RATE_LIMIT_WINDOW_MS', fallback: '60000', parse: integer(1, 86_400_000), description: 'Window of the HTTP rate limit in milliseconds' },
  shutdownTimeoutMs: { key: 'shutdownTimeoutMs', env: 'SHUTDOWN_TIMEOUT_MS', fallback: '10000', parse: integer(0, 600_000), description: 'How long SIGTERM waits for in-flight work before exiting' },
  tlsCert: { key: 'tlsCert', env: 'TLS_CERT', fallback: undefined, parse: optionalText, description: 'Path to a PEM certificate: serve https:// and wss:// (needs TLS_KEY)' },
  tlsKey: { key: 'tlsKey', env: 'TLS_KEY', fallback: undefined, parse: optionalText, description: 'Path to the PEM private key of TLS_CERT' },
  instanceId: { key: 'instanceId', env: 'INSTANCE_ID', fallback: undefined, parse: text, description: 'Name of this instance in logs and presence; default: host name and pid' },
};

export function flagName(env: string): string {
  return '--' + env.toLowerCase().replace(/^boutique_/, '').replace(/_/g, '-');
}

/** Parses `--flag value` and `--flag=value` pairs into env-style overrides. Unknown flags are an error. */
export function flagsToEnv(argv: readonly string[]): Record<string, string> {
  const byFlag = new Map(Object.values(OPTIONS).map((o) => [flagName(o.env), o.env] as const));
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${shown(arg)}`);
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const env = byFlag.get(flag);
    if (!env) throw new ConfigError(`unknown option ${flag} (see --help)`);
    let value: string | undefined = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    out[env] = value;
  }
  return out;
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env, overrides: Partial<Config> = {}): Config {
  const out: Record<string, unknown> = {};
  for (const option of Object.values(OPTIONS) as Option<keyof Config>[]) {
    const raw = env[option.env] ?? option.fallback;
    out[option.key] = raw === undefined ? undefined : option.parse(raw, option.env);
  }
  const config = { ...(out as unknown as Config), ...overrides };
  if (config.instanceId === undefined || config.instanceId === '') config.instanceId = `${hostname()}-${process.pid}`;
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new ConfigError(`TLS_CERT and TLS_KEY must be set together`);
  }
  return config;
}


/** A configuration for tests: in-memory SQLite, silent logs, port 0. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent', PORT: '0' }, overrides);
}
