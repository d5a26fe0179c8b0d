#!/usr/bin/env node
/**
 * `npm ci` in bench/ only when bench/node_modules is missing or older than bench/package-lock.json:
 * a clean install builds better-sqlite3 and takes minutes, and npm run bench should not pay it every time.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const mtime = (p) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
};
const installed = mtime(join(here, 'node_modules', '.package-lock.json'));
if (installed >= 0 && installed >= mtime(join(here, 'package-lock.json')) && installed >= mtime(join(here, 'package.json'))) process.exit(0);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
process.exit(r.status ?? 1);
