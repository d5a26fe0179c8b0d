import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can (CI installs chromium, so there they always run). */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (process.env.BOUTIQUE_REQUIRE_SERVICES === '1') throw new Error(`${CHROMIUM} is missing; .ci/run installs it with apt-get install chromium`);
  return `no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH) to run the browser tests`;
}

/** Debian's Chromium, headless, with the flags this machine needs (no sandbox as root, no background network) and any `extraArgs`. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', ...extraArgs],
  });
}
