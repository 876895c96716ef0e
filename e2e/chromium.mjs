/**
 * Debian's Chromium and the flags this project launches it with (e2e tests and the browser
 * benchmark): Playwright's own browser download is neither used nor reachable here.
 * HELIOS_CHROMIUM points at another binary.
 */
export const CHROMIUM_PATH = process.env.HELIOS_CHROMIUM ?? '/usr/bin/chromium';

/** Headless, no sandbox (containers run as root), and no background traffic to Google. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
