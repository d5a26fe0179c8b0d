#!/usr/bin/env node
import { ConfigError, OPTIONS, type Config } from './config.js';
import { exitOnSignals, startServer } from './server.js';
import { commandHelp, parseCommandArgs, type Command } from './commands/args.js';
import { migrateCommand } from './commands/migrate.js';
import { seedCommand } from './commands/seed.js';
import { exportCommand, importCommand } from './commands/transfer.js';

const serveCommand: Command = {
  name: 'serve',
  summary: 'Starts the HTTP and WebSocket server; SIGTERM or SIGINT drains it and exits 0.',
  flags: [],
  config: Object.keys(OPTIONS) as (keyof Config)[],
  async run(_args, config) {
    const starting = startServer(config);
    exitOnSignals(starting);
    await starting;
  },
};

const COMMANDS: readonly Command[] = [serveCommand, migrateCommand, seedCommand, exportCommand, importCommand];

const USAGE = `Usage: boutique <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

"boutique <command> --help" lists the options of a command; without a command, boutique serves.
Examples:
  boutique serve --port 8080 --database-url postgres://shop@db/boutique
  boutique seed --customers 10000 --seed 42
  boutique export --output shop.jsonl && DATABASE_URL=postgres://… boutique import --input shop.jsonl`;

/** Thrown for usage mistakes: printed as one line, exit code 2 (like a bad configuration). */
async function main(argv: string[]): Promise<void> {
  const [name = 'serve', ...rest] = argv[0] === undefined || (argv[0].startsWith('--') && argv[0] !== '--help') ? ['serve', ...argv] : argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new ConfigError(`unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see boutique --help)`);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(commandHelp(command));
    return;
  }
  const { args, config } = parseCommandArgs(command, rest);
  await command.run(args, config);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`boutique: ${err.message}`);
    process.exit(2);
  }
  // One line for the person at the terminal; the stack only when asked for.
  const message = err instanceof Error ? err.message : String(err);
  console.error(`boutique: ${message}`);
  if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') console.error(err);
  process.exit(1);
});
