#!/usr/bin/env node
import { ConfigError, OPTIONS, flagName, flagsToEnv, loadConfig } from './config.js';
import { exitOnSignals, startServer } from './server.js';

const USAGE = `Usage: boutique <command> [options]

Commands:
  serve      Start the HTTP and WebSocket server (default)

Run "boutique serve --help" for the options of serve.`;

function serveHelp(): string {
  const rows = Object.values(OPTIONS).map((o) => {
    const flag = `${flagName(o.env)} <value>`;
    return `  ${flag.padEnd(34)} ${o.description}\n  ${''.padEnd(34)} env ${o.env}${o.fallback !== undefined ? `, default ${o.fallback}` : ''}`;
  });
  return `Usage: boutique serve [options]\n\nEvery option can also be set by its environment variable; a flag wins.\n\n${rows.join('\n')}`;
}

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv[0]?.startsWith('--') ? ['serve', ...argv] : argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  if (command !== 'serve') {
    console.error(`boutique: unknown command "${command}"\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(serveHelp());
    return;
  }
  const config = loadConfig({ ...process.env, ...flagsToEnv(rest) });
  const server = await startServer(config);
  exitOnSignals(server);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`boutique: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
