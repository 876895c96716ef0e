import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page, test } from '@playwright/test';

// The devtools panel in real Chromium, on a page of its own: @helios/devtools' built modules
// and a fake client whose event stream the page drives. What jsdom cannot show: the panel's
// module is fetched only when first opened, the shadow root's styles hide and show it, the
// browser's own focus and keyboard handling.
const DIST = fileURLToPath(new URL('../../packages/devtools/dist/', import.meta.url));
const PORT = 4310;

const PAGE = `<!doctype html>
<html lang="en"><head><title>devtools</title></head>
<body><button id="app">the app</button>
<script type="module">
  import { installDevtools } from '/devtools/index.js';
  const listeners = new Set();
  const past = [];
  const source = {
    events: {
      subscribe(listener) { listeners.add(listener); return () => listeners.delete(listener); },
      history: () => past,
    },
    inspect: () => [{ id: 'demo:wishlist', type: 'aw-set', value: ['mug'], context: [{ replica: 'r1', ranges: [[1, 3]] }] }],
  };
  window.emit = (event) => { past.push(event); for (const listener of listeners) listener(event); };
  window.listeners = () => listeners.size;
  installDevtools(source);
  window.installed = true;
</script></body></html>`;

let server: Server;
test.beforeAll(async () => {
  server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    const file = normalize(join(DIST, path.replace(/^\/devtools\//, '')));
    if (!path.startsWith('/devtools/') || !file.startsWith(DIST))
      return void res.writeHead(404).end();
    try {
      const type = extname(file) === '.js' ? 'text/javascript' : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type }).end(await readFile(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(PORT, '127.0.0.1', resolve));
});
test.afterAll(() => {
  server?.close();
});

async function open(page: Page, query = ''): Promise<string[]> {
  const fetched: string[] = [];
  page.on('request', (request) => fetched.push(new URL(request.url()).pathname));
  await page.goto(`http://127.0.0.1:${PORT}/${query}`);
  await page.waitForFunction(() => (window as { installed?: boolean }).installed === true);
  return fetched;
}

test('the panel loads on the first Ctrl+Shift+H, follows a write to every region, closes with Escape', async ({
  page,
}) => {
  const fetched = await open(page);
  expect(fetched).toContain('/devtools/install.js');
  expect(fetched).not.toContain('/devtools/mount-devtools.js');
  const panel = page.getByRole('dialog', { name: 'Helios devtools' });
  await expect(panel).toHaveCount(0);

  await page.locator('#app').focus();
  await page.keyboard.press('Control+Shift+H');
  await expect(panel).toBeVisible();
  expect(fetched).toContain('/devtools/mount-devtools.js');
  await expect(panel.getByRole('tab', { name: 'Writes' })).toBeFocused();

  await page.evaluate(() => {
    const emit = (window as unknown as { emit: (e: object) => void }).emit;
    const write = { type: 'write', doc: 'demo:wishlist', replica: 'r1', seq: 4 };
    emit({ ...write, stage: 'pending', at: 1_000 });
    emit({ ...write, stage: 'local', at: 1_003 });
    emit({ ...write, stage: 'relay', region: 'us-east-1', at: 1_020 });
    ['eu-west-1', 'ap-southeast-1', 'us-west-2', 'sa-east-1'].forEach((region, i) => {
      emit({ ...write, stage: 'region', region, at: 1_080 + i * 40 });
    });
    emit({ ...write, stage: 'global', at: 1_300 });
  });
  const trail = panel.getByRole('tabpanel').locator('tbody > tr').first().locator('li');
  await expect(trail).toHaveText([
    'pending +0 ms',
    'local +3 ms',
    'relay us-east-1 +20 ms',
    'region eu-west-1 +80 ms',
    'region ap-southeast-1 +120 ms',
    'region us-west-2 +160 ms',
    'region sa-east-1 +200 ms',
    'global +300 ms',
  ]);

  await page.keyboard.press('ArrowLeft');
  await expect(panel.getByRole('tab', { name: 'Documents' })).toHaveAttribute(
    'aria-selected',
    'true',
  );
  await expect(panel.getByRole('tabpanel')).toContainText('"mug"');

  await page.keyboard.press('Escape');
  await expect(panel).toBeHidden();
  await expect(page.locator('#app')).toBeFocused();
  expect(
    await page.evaluate(() => (window as unknown as { listeners: () => number }).listeners()),
  ).toBe(0);
});

test('?helios-devtools opens it on load', async ({ page }) => {
  await open(page, '?helios-devtools');
  await expect(page.getByRole('dialog', { name: 'Helios devtools' })).toBeVisible();
});
