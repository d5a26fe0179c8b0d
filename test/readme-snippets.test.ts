/**
 * The README's code, run as printed against a real server: the seed's snippet in Node 20 with
 * the flag the README names, and the "Use the client" example importing `boutique/client` as a
 * user's program would (the package's own exports, so the built dist/ is what runs; it is built
 * first when older than the sources).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApp, type Running } from './chat-helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The first ```js block after `marker` in the README. */
function snippetAfter(marker: string): string {
  const at = readme.indexOf(marker);
  assert.ok(at !== -1, `README has "${marker}"`);
  const m = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(m, `a js block after "${marker}"`);
  return m[1]!;
}

/** Runs node with `args` for at most `ms`, then stops it; resolves with what it printed. */
function run(args: string[], ms: number, done: (out: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const finish = () => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(out);
    };
    const timer = setTimeout(finish, ms);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (done(out)) finish();
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** dist/ as `npm run build` makes it, rebuilt when a source file is newer. */
function ensureBuilt(): void {
  const built = join(ROOT, 'dist', 'client', 'index.js');
  const newest = (dir: string): number => Math.max(...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  if (existsSync(built) && statSync(built).mtimeMs >= newest(join(ROOT, 'src'))) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
}

describe('README snippets, run as printed', () => {
  let running: Running;
  before(async () => {
    running = await startApp();
  });
  after(() => running.close());
  const local = (code: string) => code.replaceAll('http://127.0.0.1:3000', running.httpUrl).replaceAll('ws://127.0.0.1:3000', running.wsUrl.replace('/socketserver', ''));

  it('the seed snippet works in Node 20 with --experimental-websocket, as the README says', async () => {
    assert.match(readme, /node --experimental-websocket/);
    const code = local(snippetAfter('node --experimental-websocket'));
    const out = await run(['--experimental-websocket', '--no-warnings', '-e', code], 10_000, (o) => o.includes("text: 'hello'"));
    assert.match(out, /type: 'id'/);
    assert.match(out, /type: 'message',[\s\S]*text: 'hello'/);
  });

  it('the "Use the client" example runs as a program importing boutique/client', async () => {
    ensureBuilt();
    const file = join(ROOT, `.readme-client-${process.pid}.mjs`);
    writeFileSync(file, local(snippetAfter('### Use the client')));
    try {
      const out = await run([file], 15_000, (o) => o.includes('scylla: hello'));
      assert.match(out, /snapshot\s+\[\]/, out);
      assert.match(out, /scylla: hello/, out);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
