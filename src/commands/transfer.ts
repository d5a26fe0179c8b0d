import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { openStorage } from '../store/open.js';
import { exportShop, formatLine, importShop, parseLine } from '../resources/transfer.js';
import { Registry } from '../resources/registry.js';
import type { TransferLine } from '../resources/resource.js';
import type { Command } from './args.js';

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'Writes the whole shop as JSON lines: one line per customer, then one per order with its items (ids, versions, timestamps and statuses kept).',
  flags: [{ name: '--output', value: '<file>', description: 'Write here instead of standard output' }],
  config: ['databaseUrl', 'sqliteSynchronous'],
  async run(args, config) {
    const path = args.get('--output');
    const out: Writable = path === undefined ? process.stdout : createWriteStream(path);
    const registry = new Registry();
    const store = await openStorage(config, { migrations: registry.migrations, synchronous: config.sqliteSynchronous });
    const counts: Record<string, number> = { customer: 0, order: 0 };
    try {
      for await (const line of exportShop(store, registry)) {
        counts[line.type] = (counts[line.type] ?? 0) + 1;
        await write(out, formatLine(line) + '\n');
      }
    } finally {
      await store.close();
      if (path !== undefined) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
    // Standard output may be the data itself: the summary goes to standard error.
    console.error(`exported ${counts.customer ?? 0} customers and ${counts.order ?? 0} orders${path !== undefined ? ` to ${path}` : ''}`);
  },
};

async function* readLines(input: Readable, registry: Registry): AsyncGenerator<TransferLine> {
  let lineNo = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    lineNo += 1;
    if (text.trim() === '') continue;
    yield parseLine(text, lineNo, registry);
  }
}

export const importCommand: Command = {
  name: 'import',
  summary: 'Loads a file written by export into DATABASE_URL (empty or not), keeping ids; a record whose id exists replaces it.',
  flags: [{ name: '--input', value: '<file>', description: 'Read from here instead of standard input' }],
  config: ['databaseUrl', 'sqliteSynchronous'],
  async run(args, config) {
    const path = args.get('--input');
    const input: Readable = path === undefined ? process.stdin : createReadStream(path);
    const registry = new Registry();
    const store = await openStorage(config, { migrations: registry.migrations, synchronous: config.sqliteSynchronous });
    try {
      const counts = await importShop(store, registry, readLines(input, registry));
      console.log(`imported ${counts.customer ?? 0} customers and ${counts.order ?? 0} orders`);
    } finally {
      await store.close();
    }
  },
};
