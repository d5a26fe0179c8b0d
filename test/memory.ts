import { readFileSync, existsSync } from 'node:fs';

/** Resident memory of a process in bytes, from /proc (Linux); undefined elsewhere. */
export function rssOf(pid: number): number | undefined {
  const path = `/proc/${pid}/status`;
  if (!existsSync(path)) return undefined;
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(path, 'utf8'));
  return m ? Number(m[1]) * 1024 : undefined;
}

export const MEMORY_SKIP = existsSync('/proc/self/status') ? false : 'no /proc: cannot measure another process\'s memory';

export const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1) + ' MiB';
