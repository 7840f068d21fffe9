/** Launching Debian's Chromium through playwright-core, shared by the browser tests and bench/graph-render. */
import { type Browser, chromium } from 'playwright-core';

/** The Chromium flags for a container: no sandbox, no GPU, no background traffic. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: chromiumArgs,
  });
}
