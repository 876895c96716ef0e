// Makes sure Debian's Chromium is installed for the e2e tests: Playwright's own browser
// download is not used (and not reachable in CI). Installs it with apt-get when missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM_PATH } from '../chromium.mjs';

const path = CHROMIUM_PATH;
if (existsSync(path)) process.exit(0);

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = !root && existsSync('/usr/bin/sudo') ? ['sudo'] : [];
if (!root && sudo.length === 0) {
  console.error(
    `Chromium is missing at ${path}. Install Debian's chromium package (apt-get install chromium) or set HELIOS_CHROMIUM.`,
  );
  process.exit(1);
}
console.log('Installing Chromium (Debian package) for the e2e tests…');
const run = (args) =>
  execFileSync(sudo[0] ?? args[0], sudo.length ? args : args.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
run(['apt-get', 'update', '-qq']);
run(['apt-get', 'install', '-y', '-qq', 'chromium']);
if (!existsSync(path)) {
  console.error(`apt-get finished but ${path} is still missing`);
  process.exit(1);
}
