// Browser end-to-end test of video matches (issue 15): a real `likeness serve` on a fresh data
// folder, Debian's chromium driven by playwright-core. A slideshow of demo photos (sample2 then
// sample3, 3 s each, VP8 in WebM: Debian's chromium plays it; OpenCV's mp4v does not) is made by the
// test tool make_slideshow and ingested with the CLI; a still taken from it at 4.5 s is searched on
// the Search screen; the best match is the video: its card shows the moment, a thumbnail of that
// frame and a play button; the player opens and plays the video from that moment (currentTime
// within 1 s of time_offset_s, and playing or ready to). Screenshots go to test-output/e2e/.
//
// Usage: node video_e2e.mjs [path/to/likeness] [path/to/make_slideshow]
//   (defaults: build/apps/likeness/likeness, and make_slideshow in the same build's tests/ folder)
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
const maker = resolve(process.argv[3] || join(dirname(cli), '..', '..', 'tests', 'make_slideshow'));
const demo = process.env.LIKENESS_DEMO || join(homedir(), '.cache', 'likeness', 'demo');
const browserPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = join(root, 'test-output', 'e2e');
const TIMEOUT = 120_000;
const STILL_AT_S = 4.5;  // inside the second slide (sample3), 3 s to 6 s

function log(msg) { process.stdout.write(`[video-e2e] ${msg}\n`); }

async function main() {
  assert.ok(existsSync(cli), `no likeness binary at ${cli}`);
  assert.ok(existsSync(maker), `no make_slideshow at ${maker} (cmake --build build --target make_slideshow)`);
  assert.ok(existsSync(join(demo, 'sample3.jpg')), `no demo photos in ${demo}`);
  assert.ok(existsSync(browserPath), `no browser at ${browserPath} (apt-get install chromium)`);
  mkdirSync(shots, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'likeness-video-e2e-'));
  const data = join(dir, 'data');
  const footage = join(dir, 'footage');
  mkdirSync(footage);
  const video = join(footage, 'interview.webm');
  const still = join(dir, 'still.jpg');
  execFileSync(maker, [video, 'VP80', '3', join(demo, 'sample2.jpg'), join(demo, 'sample3.jpg')]);
  execFileSync(maker, ['--still', still, video, String(STILL_AT_S)]);
  execFileSync(cli, ['--data', data, 'ingest', footage, '--source', 'e2e-footage',
    '--basis', 'art6-1-e,art9-2-g', '--jurisdiction', 'DE', '--jobs', '1'], { stdio: 'ignore' });
  const key = execFileSync(cli, ['--data', data, 'keys', 'create', '--name', 'e2e-admin', '--role', 'admin'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const server = await startServer(cli, data);
  log(`server at ${server.url}`);
  const browser = await chromium.launch({
    executablePath: browserPath,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(TIMEOUT);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(server.url);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('e2e-admin (admin)').waitFor();

    // Search the still: the best match is the video, at the moment the still was taken.
    await page.getByRole('link', { name: 'Search' }).click();
    await page.locator('#search-image').setInputFiles(still);
    const search = page.locator('#screen-search');
    await search.getByLabel(/^Purpose/).fill('e2e test of video matches');
    await search.getByLabel(/^Case reference/).fill('E2E-VIDEO-1');
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/search'));
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const result = await (await answered).json();
    const best = result.faces[0].matches[0];
    assert.equal(best.media, 'video', `the best match is not the video: ${JSON.stringify(best)}`);
    assert.ok(best.match, 'the video face is not a match');
    // A kept face of sample3's track (the best faces of the slide it was taken from).
    assert.ok(best.time_offset_s >= 3 - 0.01 && best.time_offset_s < 6,
      `time_offset_s ${best.time_offset_s} is outside the slide of the still (3 s to 6 s)`);
    await page.getByText(/^Search done/).waitFor();

    const card = page.locator('#results li.result').first();
    await card.waitFor();
    assert.match(await card.locator('.video-moment').innerText(), /^In a video at 0:0\d\.\d/);
    const thumb = card.locator('img.video-frame');
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 0,
      await thumb.elementHandle(), { timeout: TIMEOUT });
    await page.screenshot({ path: join(shots, 'video-01-search.png'), fullPage: true });
    // The card names what opens: the frame, not a "photo".
    assert.equal(await card.getByRole('button', { name: /^Open the frame of face \d+/ }).count(), 1);
    assert.equal(await card.getByRole('button', { name: /Open the photo/ }).count(), 0);

    // Play from the moment.
    await card.getByRole('button', { name: /^Play video \d+ from / }).click();
    const dialog = page.locator('#video-dialog');
    await dialog.waitFor();
    const state = await page.waitForFunction((offset) => {
      const v = document.getElementById('video-player');
      if (!v || !v.src || v.readyState < 2) return false;
      if (Math.abs(v.currentTime - offset) > 1) return false;
      return { t: v.currentTime, paused: v.paused, ready: v.readyState, width: v.videoWidth };
    }, best.time_offset_s, { timeout: TIMEOUT });
    const s = await state.jsonValue();
    log(`player at ${s.t.toFixed(2)} s (offset ${best.time_offset_s}), readyState ${s.ready}, paused ${s.paused}`);
    assert.equal(s.width, 640);
    // Playing: time moves forward from the moment.
    await page.waitForFunction((t0) => {
      const v = document.getElementById('video-player');
      return !v.paused && v.currentTime > t0;
    }, s.t, { timeout: 15_000 });
    await page.screenshot({ path: join(shots, 'video-02-player.png') });
    await dialog.getByRole('button', { name: 'Close' }).click();

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
  process.stderr.write(`[video-e2e] FAILED: ${e.stack || e}\n`);
  process.exit(1);
});
