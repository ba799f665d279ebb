// Browser end-to-end test of the public self-check page (/selfcheck) with Chromium's fake camera:
//  (0) a wrong kiosk key is reported as a wrong key (not as a camera problem); no key field shows;
//  (a) the camera shows a still photo (demo sample1.jpg as an MJPEG clip): refused with advice only,
//      no report; the face guide and the countdown show while recording; the key survives a reload;
//  (b) the camera shows ORL person s39 facing the camera, then turning to their left (a Y4M clip
//      assembled here from the dev set's photos): accepted, the answer in plain words grouped by
//      source (the source's public description, no codes, no timestamps), an opt-out request
//      recorded. Skipped (with a message) when ../shared/data/faces-dev/orl is absent.
// The server issues only the turn-left challenge here (--selfcheck-challenges turn-left), since a
// recorded clip can answer one direction only; the random choice is covered by the server tests.
// The page must offer no file upload and make no request outside the server.
// Screenshots go to test-output/e2e/selfcheck-*.png.
//
// Usage: node selfcheck_e2e.mjs [path/to/likeness]
// Env: LIKENESS_DEMO, LIKENESS_FACES_DEV, CHROMIUM (default /usr/bin/chromium).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { writeY4m, writeStillMjpeg } from './fake_camera.mjs';
import { startServer } from './server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const cli = resolve(process.argv[2] || join(root, 'build', 'apps', 'likeness', 'likeness'));
const demo = process.env.LIKENESS_DEMO || join(homedir(), '.cache', 'likeness', 'demo');
const facesDev = process.env.LIKENESS_FACES_DEV || resolve(root, '..', 'shared', 'data', 'faces-dev');
const browserPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = join(root, 'test-output', 'e2e');
const TIMEOUT = 120_000;
// ORL s39: facing the camera (5, 9), then turned to their left (2, 8, 7, 8).
const TURN_LEFT = [5, 9, 2, 8, 7, 8];

function log(msg) { process.stdout.write(`[e2e selfcheck] ${msg}\n`); }

// One browser whose camera plays `clip`; runs `body(page)` on the self-check page.
async function withCamera(clip, url, key, body, { expectErrors = false } = {}) {
  const browser = await chromium.launch({
    executablePath: browserPath,
    args: ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${clip}`],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const outside = [];
    const errors = [];
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(url) && !u.startsWith('blob:') && !u.startsWith('data:')) outside.push(u);
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}selfcheck#key=${key}`);
    await page.getByRole('heading', { name: 'Is my face held here?' }).waitFor();
    assert.equal(await page.locator('input[type=file]').count(), 0, 'the page offers a file upload');
    assert.equal(await page.locator('input').count(), 0, 'the page shows a field (the key must never be one)');
    assert.doesNotMatch(page.url(), /key=/, 'the key stays in the address bar');
    await body(page);
    assert.deepEqual(outside, [], 'the page made requests outside the server');
    if (!expectErrors) assert.deepEqual(errors, [], 'the page threw errors');
  } finally {
    await browser.close();
  }
}

async function startAndRecord(page) {
  await page.getByRole('button', { name: 'Start the camera' }).click();
  await page.getByText(/turn your head to your left/).waitFor();
  assert.ok(await page.locator('#sc-guide').isVisible(), 'no face guide over the camera');
  await page.getByRole('button', { name: 'Record and check' }).click();
  await page.locator('#sc-countdown').waitFor({ state: 'visible' });
  assert.match(await page.locator('#sc-countdown').innerText(), /^[1-3]$/, 'no countdown while recording');
}

// The selfcheck role is limited to a burst of 3 requests per address, then one per 5 s.
async function waitForTokens(seconds) {
  log(`waiting ${seconds} s for the per-address self-check limit`);
  await new Promise((ok) => setTimeout(ok, seconds * 1000));
}

async function main() {
  assert.ok(existsSync(cli), `no likeness binary at ${cli}`);
  assert.ok(existsSync(join(demo, 'sample1.jpg')), `no demo photos in ${demo}`);
  assert.ok(existsSync(browserPath), `no browser at ${browserPath} (apt-get install chromium)`);
  mkdirSync(shots, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'likeness-e2e-selfcheck-'));
  const data = join(dir, 'data');
  const key = execFileSync(cli, ['--data', data, 'keys', 'create', '--name', 'kiosk', '--role', 'selfcheck'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const orl = join(facesDev, 'orl', 's39');
  if (existsSync(orl)) {
    // Other photos of the same person are held, so the accepted check has places to report.
    execFileSync(cli, ['--data', data, 'ingest', ...[1, 3, 4, 6, 10].map((i) => join(orl, `${i}.pgm`)),
      '--source', 'e2e-archive', '--basis', 'art6-1-e,art9-2-g', '--jurisdiction', 'GB',
      '--collector', 'ORL (e2e)', '--public-description', 'Portraits from the e2e test archive'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const server = await startServer(cli, data, ['--selfcheck-challenges', 'turn-left']);
  log(`server at ${server.url}`);
  try {
    const still = join(dir, 'still.mjpeg');
    writeStillMjpeg(still, join(demo, 'sample1.jpg'));
    // (0) A wrong key: said to be a wrong key, not a camera that could not start.
    const wrong = `lk_${'A'.repeat(43)}`;
    await withCamera(still, server.url, wrong, async (page) => {
      await page.getByRole('button', { name: 'Start the camera' }).click();
      await page.getByText(/kiosk link is not valid/).waitFor();
      assert.doesNotMatch(await page.locator('#sc-status').innerText(), /camera/i);
      await page.screenshot({ path: join(shots, 'selfcheck-00-wrong-key.png'), fullPage: true });
    }, { expectErrors: true });
    log('wrong key reported as such');

    // (a) A still photo in front of the camera: refused with advice only, no report.
    await withCamera(still, server.url, key, async (page) => {
      // The key survives a reload (sessionStorage), and is still nowhere in the address bar.
      await page.reload();
      await page.getByRole('heading', { name: 'Is my face held here?' }).waitFor();
      assert.equal(await page.locator('#sc-no-key').isHidden(), true, 'the key was lost on reload');
      await page.screenshot({ path: join(shots, 'selfcheck-01-start.png'), fullPage: true });
      await startAndRecord(page);
      await page.getByText(/^The check did not pass, so no result is given/).waitFor();
      const advice = await page.locator('#sc-advice').innerText();
      assert.match(advice, /light/);
      assert.match(advice, /still/);
      assert.match(advice, /prompt/);
      assert.doesNotMatch(await page.locator('main').innerText(), /score|yaw|similar|degree/i);
      assert.equal(await page.locator('#sc-report').isHidden(), true, 'a report was shown for a still');
      await page.screenshot({ path: join(shots, 'selfcheck-02-still-refused.png'), fullPage: true });
      // Narrow screens.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: join(shots, 'selfcheck-02b-mobile.png'), fullPage: true });
    });
    log('still photo refused');

    // (b) A head turn to the left assembled from one ORL person's photos: accepted with a report.
    if (!existsSync(orl)) {
      log(`SKIP accepted path: ${orl} absent (the dev set is not checked out next to the repository)`);
    } else {
      const clip = join(dir, 'turn-left.y4m');
      writeY4m(clip, TURN_LEFT.map((i) => join(orl, `${i}.pgm`)), { hold: 2, repeats: 5 });
      await waitForTokens(16);
      await withCamera(clip, server.url, key, async (page) => {
        await startAndRecord(page);
        await page.getByText(/^(Live check passed\.|Refused: )/).waitFor();
        const said = await page.locator('#sc-status').innerText();
        if (!said.startsWith('Live check passed')) {
          await page.screenshot({ path: join(shots, 'selfcheck-03-accepted-FAILED.png'), fullPage: true });
        }
        assert.match(said, /^Live check passed/, `the ORL head turn was refused: ${said}`);
        await page.locator('#sc-report').waitFor();
        await page.getByText(/This organisation holds (no )?photos of you/).waitFor();
        assert.match(await page.locator('#sc-summary').innerText(), /Nothing from your capture is stored/);
        await page.getByRole('heading', { name: 'Portraits from the e2e test archive' }).waitFor();
        const words = await page.locator('#sc-report').innerText();
        assert.match(words, /public task; substantial public interest/);
        assert.match(words, /Your reference: sc-[0-9a-f]{16}/);
        assert.doesNotMatch(words, /art6|art9|\d{4}-\d{2}-\d{2}|ORL \(e2e\)|e2e-archive/,
          'the public answer shows codes, timestamps, collectors or source names');
        await page.screenshot({ path: join(shots, 'selfcheck-03-accepted-report.png'), fullPage: true });
        if (await page.locator('#sc-actions').isVisible()) {
          await page.getByRole('button', { name: 'Ask to opt out of future collection' }).click();
          await page.getByText(/request is recorded, reference sc-/).waitFor();
          await page.screenshot({ path: join(shots, 'selfcheck-04-request.png'), fullPage: true });
        }
      });
      log('ORL head turn accepted');
    }
    log('passed');
  } finally {
    const code = await server.stop();
    if (code !== 0) log(`server exit code ${code}\n${server.stderr()}`);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`[e2e selfcheck] FAILED: ${e.stack || e}\n`);
  process.exit(1);
});
