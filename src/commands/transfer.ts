import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { createStore } from '../store/store.js';
import { exportShop, formatLine, importShop, parseLine, type ShopLine } from '../store/transfer.js';
import type { Command } from './args.js';

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'Writes the whole shop as JSON lines: one line per customer, then one per order with its items (ids, versions, timestamps and statuses kept).',
  flags: [{ name: '--output', value: '<file>', description: 'Write here instead of standard output' }],
  config: ['databaseUrl'],
  async run(args, config) {
    const path = args.get('--output');
    const out: Writable = path === undefined ? process.stdout : createWriteStream(path);
    const store = await createStore(config);
    const counts = { customer: 0, order: 0 };
    try {
      for await (const line of exportShop(store)) {
        counts[line.type] += 1;
        await write(out, formatLine(line) + '\n');
      }
    } finally {
      await store.close();
      if (path !== undefined) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
    // Standard output may be the data itself: the summary goes to standard error.
    console.error(`exported ${counts.customer} customers and ${counts.order} orders${path !== undefined ? ` to ${path}` : ''}`);
  },
};

async function* readLines(input: Readable): AsyncGenerator<ShopLine> {
  let lineNo = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    lineNo += 1;
    if (text.trim() === '') continue;
    yield parseLine(text, lineNo);
  }
}

export const importCommand: Command = {
  name: 'import',
  summary: 'Loads a file written by export into DATABASE_URL (empty or not), keeping ids; a record whose id exists replaces it.',
  flags: [{ name: '--input', value: '<file>', description: 'Read from here instead of standard input' }],
  config: ['databaseUrl'],
  async run(args, config) {
    const path = args.get('--input');
    const input: Readable = path === undefined ? process.stdin : createReadStream(path);
    const store = await createStore(config);
    try {
      const counts = await importShop(store, readLines(input));
      console.log(`imported ${counts.customers} customers and ${counts.orders} orders`);
    } finally {
      await store.close();
    }
  },
};
