/** Debian's Chromium for the browser tests: never a download; the suite skips, saying why, without it. */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env.WASL_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Call first in a suite's before(): skips it with a line that says so when Chromium is absent —
 * or fails it when WASL_REQUIRE_SERVICES=1 (as the suites that need PostgreSQL or RabbitMQ do).
 */
export function skipWithoutChromium(ctx: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  if (process.env.WASL_REQUIRE_SERVICES === '1') throw new Error(`Chromium is required (WASL_REQUIRE_SERVICES=1) but absent at ${CHROMIUM}: apt-get install -y chromium, or WASL_CHROMIUM=<path>`);
  console.log(`      (skipped: no Chromium at ${CHROMIUM}; install Debian's: apt-get install -y chromium)`);
  ctx.skip();
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
