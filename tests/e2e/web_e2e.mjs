// Browser end-to-end test of the Likeness web app: a real `likeness serve` on a fresh data folder,
// Debian's chromium driven by playwright-core. Signs in with an admin key, declares a source and
// uploads three demo photos on the Ingest screen, searches sample1.jpg on the Search screen and
// expects the same person's photo (sample3.jpg) ranked first with a match, opens it with the face
// boxed, checks Stats, finds the search in the Audit screen and verifies the chain, runs a subject
// access and erasure on the Privacy screen (receipt shown and downloaded), sees the person no longer
// found, and checks that the page made no request outside the server.
// Screenshots of each screen go to test-output/e2e/.
//
// Usage: node web_e2e.mjs [path/to/likeness]   (default: build/apps/likeness/likeness)
// Env: LIKENESS_DEMO (demo photos), CHROMIUM (browser binary, default /usr/bin/chromium).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = resolve(process.argv[2] || join(root, 'build', 'apps', 'likeness', 'likeness'));
const demo = process.env.LIKENESS_DEMO || join(homedir(), '.cache', 'likeness', 'demo');
const browserPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = join(root, 'test-output', 'e2e');
const TIMEOUT = 120_000;

function log(msg) { process.stdout.write(`[e2e] ${msg}\n`); }

async function main() {
  assert.ok(existsSync(cli), `no likeness binary at ${cli}`);
  assert.ok(existsSync(join(demo, 'sample1.jpg')), `no demo photos in ${demo}`);
  assert.ok(existsSync(browserPath), `no browser at ${browserPath} (apt-get install chromium)`);
  mkdirSync(shots, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'likeness-e2e-'));
  const data = join(dir, 'data');
  const key = execFileSync(cli, ['--data', data, 'keys', 'create', '--name', 'e2e-admin', '--role', 'admin'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const server = await startServer(cli, data);
  log(`server at ${server.url}`);
  const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
  const outside = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(TIMEOUT);
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(server.url) && !u.startsWith('blob:') && !u.startsWith('data:')) outside.push(u);
    });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));

    // Sign in.
    await page.goto(server.url);
    await page.getByLabel('API key').waitFor();
    await page.screenshot({ path: join(shots, '01-login.png') });
    await page.getByLabel('API key').fill('lk_wrong_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Sign-in failed').waitFor();
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('e2e-admin (admin)').waitFor();

    // Ingest: declare a source, upload three photos.
    await page.getByRole('link', { name: 'Ingest' }).click();
    const ingest = page.locator('#screen-ingest');
    await ingest.getByLabel('Name', { exact: true }).fill('e2e-press');
    await ingest.getByLabel('Jurisdiction (ISO country code)').fill('DE');
    await page.getByRole('button', { name: 'Declare source' }).click();
    await page.getByText('Source “e2e-press” declared').waitFor();
    await page.locator('#upload-files').setInputFiles(
      ['sample2.jpg', 'sample3.jpg', 'sample4.jpg'].map((f) => join(demo, f)));
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByText(/^Done: 3 stored/).first().waitFor();
    await page.screenshot({ path: join(shots, '02-ingest.png'), fullPage: true });

    // Search sample1: the largest face is the person in sample3.
    await page.getByRole('link', { name: 'Search' }).click();
    await page.locator('#search-image').setInputFiles(join(demo, 'sample1.jpg'));
    const search = page.locator('#screen-search');
    await search.getByLabel(/^Purpose/).fill('e2e test of the web app');
    await search.getByLabel(/^Case reference/).fill('E2E-1');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText(/^Search done/).waitFor();
    const first = page.locator('#results li.result').first();
    await first.waitFor();
    assert.match(await first.locator('.badge').innerText(), /^Match$/);
    // Every crop arrives (fetched with the key, shown through a blob: URL).
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('#results img')];
      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    }, null, { timeout: TIMEOUT });
    const expected = execFileSync('sha256sum', [join(demo, 'sample3.jpg')], { encoding: 'utf8' }).split(' ')[0];
    await page.screenshot({ path: join(shots, '03-search.png'), fullPage: true });
    await first.getByRole('button', { name: /Open the photo/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.locator('.box').waitFor();
    assert.equal(await dialog.getByText(expected).count(), 1, 'the best match is not sample3.jpg');
    await page.screenshot({ path: join(shots, '04-match-photo.png') });
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Keyboard: the face buttons of the probe are reachable and select a face.
    await page.locator('#probe-faces button').nth(1).focus();
    await page.keyboard.press('Enter');
    await page.getByText('Results for face 2').waitFor();

    // Stats.
    await page.getByRole('link', { name: 'Stats' }).click();
    await page.locator('#stats dt', { hasText: 'Images' }).waitFor();
    assert.equal(await page.locator('#stats dt:text-is("Images") + dd').innerText(), '3');
    await page.screenshot({ path: join(shots, '05-stats.png') });

    // Audit: the search is on record under the key's name, and the chain verifies.
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText(/^Intact: \d+ record/).waitFor();
    await page.locator('#screen-audit').getByLabel('Action').selectOption('search');
    await page.getByRole('button', { name: 'Show' }).click();
    const row = page.locator('#audit-table tbody tr').first();
    await row.waitFor();
    assert.match(await row.innerText(), /e2e-admin\s+search\s+e2e test of the web app/);
    await page.screenshot({ path: join(shots, '06-audit.png'), fullPage: true });

    // Privacy: subject access for the person in sample1, erase what is held, get the receipt.
    await page.getByRole('link', { name: 'Privacy' }).click();
    const privacy = page.locator('#screen-privacy');
    await privacy.getByLabel(/^Purpose/).fill('erasure request of the person in sample1');
    await privacy.getByLabel(/^Case reference/).fill('DSR-E2E-1');
    await page.locator('#access-image').setInputFiles(join(demo, 'sample1.jpg'));
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByText(/held face\(s\) match this person/).waitFor();
    await page.screenshot({ path: join(shots, '07-privacy-access.png'), fullPage: true });
    await page.getByRole('button', { name: 'Preview erasure of the selected faces' }).click();
    await page.getByText(/^This erases \d+ face/).waitFor();
    await page.getByRole('button', { name: 'Erase now' }).click();
    await page.getByText(/^Erased \d+ face/).waitFor();
    const receipt = JSON.parse(await page.locator('#receipt-json').innerText());
    assert.equal(receipt.receipt, 'likeness-erasure-v1');
    assert.ok(receipt.faces_removed >= 1);
    assert.equal(receipt.operator, 'e2e-admin');
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download the receipt' }).click();
    assert.match((await download).suggestedFilename(), /^erasure-receipt-\d+\.json$/);
    await page.screenshot({ path: join(shots, '08-privacy-receipt.png'), fullPage: true });

    // The erased person is no longer found.
    await page.getByRole('link', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText(/^Search done: \d+ face\(s\), 0 with a match/).waitFor();
    await page.screenshot({ path: join(shots, '09-search-after-erasure.png'), fullPage: true });

    // Narrow screens.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Search' }).click();
    await page.screenshot({ path: join(shots, '10-search-mobile.png'), fullPage: true });

    assert.deepEqual(outside, [], 'the page made requests outside the server');
    assert.deepEqual(errors, [], 'the page threw errors');
    log('passed');
  } finally {
    await browser.close();
    const code = await server.stop();
    if (code !== 0) log(`server exit code ${code}\n${server.stderr()}`);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`[e2e] FAILED: ${e.stack || e}\n`);
  process.exit(1);
});
