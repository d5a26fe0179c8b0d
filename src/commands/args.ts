import { ConfigError, OPTIONS, flagName, flagsToEnv, loadConfig, type Config } from '../config.js';

/** A flag a command takes besides the configuration flags. */
export interface CommandFlag {
  name: string;
  value: string;
  description: string;
}

export interface Command {
  name: string;
  summary: string;
  flags: readonly CommandFlag[];
  /** Configuration variables worth listing in this command's --help (serve lists them all). */
  config: readonly (keyof Config)[];
  run(args: Map<string, string>, config: Config): Promise<void>;
}

/**
 * Splits argv into the command's own flags and configuration flags (`--database-url`, …);
 * anything else is a ConfigError, printed as one line with exit code 2.
 */
export function parseCommandArgs(command: Command, argv: readonly string[]): { args: Map<string, string>; config: Config } {
  const own = new Set(command.flags.map((f) => f.name));
  const args = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (!own.has(flag)) {
      rest.push(arg);
      if (eq === -1 && arg.startsWith('--') && i + 1 < argv.length) rest.push(argv[++i]!);
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    args.set(flag, value);
  }
  return { args, config: loadConfig({ ...process.env, ...flagsToEnv(rest) }) };
}

/** A positive (or zero, with min 0) integer flag; ConfigError naming the flag otherwise. */
export function intFlag(args: Map<string, string>, flag: string, min: number, max: number): number | undefined {
  const raw = args.get(flag);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new ConfigError(`${flag} must be an integer between ${min} and ${max}, got "${raw}"`);
  return Number(raw);
}

export function commandHelp(command: Command): string {
  const rows: string[] = [];
  for (const f of command.flags) rows.push(`  ${`${f.name} ${f.value}`.padEnd(34)} ${f.description}`);
  for (const key of command.config) {
    const o = OPTIONS[key];
    rows.push(`  ${`${flagName(o.env)} <value>`.padEnd(34)} ${o.description}`);
    rows.push(`  ${''.padEnd(34)} env ${o.env}${o.fallback !== undefined ? `, default ${o.fallback}` : ''}`);
  }
  const note = command.config.length > 0 ? '\nEvery configuration option can also be set by its environment variable; a flag wins.\n' : '';
  return `Usage: boutique ${command.name} [options]\n\n${command.summary}\n${note}\nOptions:\n${rows.join('\n')}`;
}
