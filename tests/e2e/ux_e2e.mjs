// Browser end-to-end test of what a new user tripped over in the web app (issue 14), on a real
// `likeness serve --threads 1` over a data folder prepared with the CLI (demo photos in a source,
// a second source with a file that is not a photo, people clustered), in Debian's chromium:
//   - "Sign out" is hidden before sign-in ([hidden] wins over display:flex); /favicon.ico answers;
//   - each role lands on its main screen; a self-check kiosk key is sent to /selfcheck;
//   - Search: purpose/basis/case survive a reload (session storage), the score and threshold are
//     explained, the page scrolls to the results, cards keep dates and source names on one line,
//     the photo dialog shows the probe face beside the match, an error shows next to the button;
//   - Ingest: a retention date in the past is refused with the reason next to the field; upload
//     does not default to a source; a duplicate says where it is held; a partial upload is amber;
//     a message is cleared on screen change;
//   - Sources: counts, batches and errors (file names only), links to the batch's audit records
//     and to erasure by source; read-only roles get no erase link;
//   - People: no edit control for an investigator; "Cluster now" with progress; merge by picking;
//   - Audit: details in words (no raw JSON), the self-check actions in the filter, CSV and JSON
//     export of the filtered view, cards under 600 px;
//   - Privacy: the subject-access report stacked, its threshold rounded;
//   - at 390 px, Search and Audit scroll only vertically.
// Screenshots go to test-output/e2e/ux-*.png.
//
// Usage: node ux_e2e.mjs [path/to/likeness]   Env: LIKENESS_DEMO, CHROMIUM.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

// People reads are purpose-bound (issue 11): state the purpose and case, then list.
async function listPeople(page) {
  await page.fill('#people-purpose', 'e2e: review the people grouping');
  await page.fill('#people-case', 'E2E-PEOPLE');
  await page.click('#people-refresh');
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = resolve(process.argv[2] || join(root, 'build', 'apps', 'likeness', 'likeness'));
const demo = process.env.LIKENESS_DEMO || join(homedir(), '.cache', 'likeness', 'demo');
const browserPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = join(root, 'test-output', 'e2e');
const TIMEOUT = 60_000;
const ROLES = ['admin', 'search', 'ingest', 'auditor', 'privacy', 'selfcheck'];
const LANDING = { admin: 'search', search: 'search', ingest: 'ingest', auditor: 'audit', privacy: 'privacy' };

function log(msg) { process.stdout.write(`[e2e ux] ${msg}\n`); }
const shot = (page, name, full = true) => page.screenshot({ path: join(shots, `ux-${name}.png`), fullPage: full });

// The data folder, prepared with the CLI: demo-photos (sample2, 3, 4, 6), scans-2025 (sample5 and a
// file that is not a photo), people clustered loosely (several people of two or more faces).
function prepare(dir) {
  const data = join(dir, 'data');
  const run = (...args) => execFileSync(cli, ['--data', data, ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LIKENESS_OPERATOR: 'e2e-setup' } });
  run('ingest', ...['sample2.jpg', 'sample3.jpg', 'sample4.jpg', 'sample6.jpg'].map((f) => join(demo, f)),
    '--source', 'demo-photos', '--basis', 'art6-1-f,art9-2-e', '--jurisdiction', 'DE',
    '--retain-until', '2099-12-31', '--collector', 'e2e');
  const scans = join(dir, 'scans');
  mkdirSync(scans);
  copyFileSync(join(demo, 'sample5.jpg'), join(scans, 'sample5.jpg'));
  writeFileSync(join(scans, 'broken-scan.jpg'), 'this is not a JPEG');
  try {
    run('ingest', scans, '--source', 'scans-2025', '--basis', 'art6-1-e,art9-2-g', '--jurisdiction', 'FR');
  } catch (e) { /* exits non-zero when a file was refused; the batch and its error are recorded */ }
  // A loose similarity so that the five demo photos give several people (a person needs two
  // faces from two photos; the test exercises the screens, not the grouping's accuracy).
  run('people', 'cluster', '--min-points', '1', '--similarity', '0.2');
  const keys = {};
  for (const role of ROLES) {
    keys[role] = run('keys', 'create', '--name', `ux-${role}`, '--role', role).trim();
  }
  return { data, keys };
}

async function signIn(page, url, key) {
  await page.goto(url);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const noHorizontalScroll = (page) => page.evaluate(
  () => document.documentElement.scrollWidth <= window.innerWidth + 1);

async function main() {
  assert.ok(existsSync(cli), `no likeness binary at ${cli}`);
  assert.ok(existsSync(join(demo, 'sample1.jpg')), `no demo photos in ${demo}`);
  assert.ok(existsSync(browserPath), `no browser at ${browserPath} (apt-get install chromium)`);
  mkdirSync(shots, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'likeness-ux-'));
  const { data, keys } = prepare(dir);
  const server = await startServer(cli, data);
  const url = server.url;
  log(`server at ${url}`);
  const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
  const errors = [];
  const notFound = [];
  const outside = [];
  const newPage = async (viewport = { width: 1440, height: 900 }) => {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', (r) => { if (r.status() === 404) notFound.push(r.url()); });
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(url) && !u.startsWith('blob:') && !u.startsWith('data:')) outside.push(u);
    });
    return page;
  };
  try {
    // --- Before sign-in: no "Sign out"; the favicon answers.
    {
      const page = await newPage();
      await page.goto(url);
      await page.getByLabel('API key').waitFor();
      assert.equal(await page.locator('#logout').isVisible(), false, '"Sign out" shows before sign-in');
      assert.equal(await page.locator('#nav').isVisible(), false);
      const icon = await page.request.get(`${url}favicon.ico`);
      assert.equal(icon.status(), 200);
      assert.match(icon.headers()['content-type'], /^image\/svg\+xml/);
      // A wrong key: the error is next to the Sign in button.
      await page.getByLabel('API key').fill('lk_not_a_key');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const msg = page.locator('#login-submit + .field-msg[data-kind="error"]');
      await msg.waitFor();
      assert.match(await msg.innerText(), /^Sign-in failed/);
      await shot(page, '01-login-error', false);
      await page.context().close();
    }

    // --- Each role lands on its main screen; the kiosk key goes to /selfcheck.
    for (const role of ['admin', 'search', 'ingest', 'auditor', 'privacy']) {
      const page = await newPage();
      await signIn(page, url, keys[role]);
      await page.locator(`#screen-${LANDING[role]}`).waitFor({ state: 'visible' });
      assert.equal(await page.locator('#logout').isVisible(), true);
      await shot(page, `02-landing-${role}`, false);
      await page.context().close();
    }
    {
      const page = await newPage();
      await signIn(page, url, keys.selfcheck);
      await page.waitForURL(/\/selfcheck$/);
      await shot(page, '02-landing-selfcheck-key', false);
      await page.context().close();
    }

    // --- Search, as the investigator.
    {
      const page = await newPage();
      await signIn(page, url, keys.search);
      await page.locator('#screen-search').waitFor({ state: 'visible' });
      const search = page.locator('#screen-search');
      await search.getByLabel(/^Purpose/).fill('e2e: a different photo of a held person');
      await search.getByLabel(/^Legal basis/).selectOption('art6-1-c');
      await search.getByLabel(/^Case reference/).fill('UX-1');
      // The justification is kept for the browser tab: a reload keeps it (and the sign-in).
      await page.reload();
      await page.locator('#screen-search').waitFor({ state: 'visible' });
      assert.equal(await search.getByLabel(/^Purpose/).inputValue(), 'e2e: a different photo of a held person');
      assert.equal(await search.getByLabel(/^Legal basis/).inputValue(), 'art6-1-c');
      assert.equal(await search.getByLabel(/^Case reference/).inputValue(), 'UX-1');

      // A probe that is not a photo: the error is next to the Search button, in view.
      const bogus = join(dir, 'not-a-photo.jpg');
      writeFileSync(bogus, 'plain text');
      await page.locator('#search-image').setInputFiles(bogus);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      const err = page.locator('#search-submit + .field-msg[data-kind="error"]');
      await err.waitFor();
      assert.match(await err.innerText(), /^Search failed/);
      assert.equal(await page.locator('#status').innerText(), '', 'the error went to the top line');

      // sample1 (not in the catalog) finds the person of sample3.
      await page.locator('#search-image').setInputFiles(join(demo, 'sample1.jpg'));
      const t0 = Date.now();
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByText(/^Search done/).waitFor();
      await page.locator('#results li.result').first().waitFor();
      await page.waitForFunction(() => {
        const imgs = [...document.querySelectorAll('#results img')];
        return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
      });
      log(`search and ${await page.locator('#results img').count()} crops in ${Date.now() - t0} ms (--threads 1)`);
      // Scrolled to the results.
      const top = await page.evaluate(() => document.getElementById('search-result').getBoundingClientRect().top);
      assert.ok(top >= -2 && top < 200, `results not scrolled into view (top ${top})`);
      assert.ok(await page.evaluate(() => window.scrollY > 0));
      // The score and the threshold explained.
      const explain = await page.locator('#results-explain').innerText();
      assert.match(explain, /Score: the cosine similarity/);
      assert.match(explain, /Threshold 0\.\d{3}/);
      assert.match(explain, /Best score 0\.\d{3} is 0\.\d{3} (above|below) the threshold/);
      // Dates and source names stay on one line in the cards.
      const broken = await page.evaluate(() => [...document.querySelectorAll('#results .facts dd')]
        .filter((dd) => dd.getClientRects().length !== 1 || dd.scrollHeight > 1.6 * parseFloat(getComputedStyle(dd).lineHeight || '20'))
        .map((dd) => dd.textContent));
      assert.deepEqual(broken, [], 'card values broken across lines');
      await shot(page, '03-search-results');
      // The photo dialog: the probe face beside the matched face.
      await page.locator('#results li.result').first().getByRole('button', { name: /Open the photo/ }).click();
      const dialog = page.getByRole('dialog');
      await dialog.locator('.box').waitFor();
      await page.waitForFunction(() => {
        const img = document.getElementById('compare-match');
        const c = document.getElementById('compare-probe');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 3; i < px.length; i += 4) ink += px[i] > 0 ? 1 : 0;
        return img.complete && img.naturalWidth > 0 && ink > px.length / 8;
      });
      const [a, b] = await Promise.all(['#compare-probe', '#compare-match'].map((s) => page.locator(s).boundingBox()));
      assert.ok(Math.abs(a.y - b.y) < 5 && b.x > a.x + a.width, 'probe and match are not side by side');
      await shot(page, '04-search-compare', false);
      await dialog.getByRole('button', { name: 'Close' }).click();

      // People, read-only: no merge form, no pick boxes, no rename, no "Cluster now".
      await page.getByRole('link', { name: 'People' }).click();
      await listPeople(page);
      await page.locator('#people-table tbody tr').first().waitFor();
      assert.equal(await page.locator('#people-merge').isVisible(), false);
      assert.equal(await page.locator('#people-cluster').isVisible(), false);
      assert.equal(await page.locator('#people-table input').count(), 0);
      assert.equal(await page.locator('#people-table .pick-col').first().isVisible(), false);
      await shot(page, '05-people-investigator');

      // Phone: the search screen with results scrolls only vertically.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByRole('link', { name: 'Search' }).click();
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByText(/^Search done/).waitFor();
      await page.locator('#results li.result').first().waitFor();
      assert.ok(await noHorizontalScroll(page), 'Search scrolls sideways at 390 px');
      await shot(page, '06-search-mobile');
      await page.context().close();
    }

    // --- Ingest, as the ingest operator.
    {
      const page = await newPage();
      await signIn(page, url, keys.ingest);
      await page.locator('#screen-ingest').waitFor({ state: 'visible' });
      const ingest = page.locator('#screen-ingest');
      // No silent default source.
      await page.locator('#upload-source option').nth(1).waitFor({ state: 'attached' });
      assert.equal(await page.locator('#upload-source').inputValue(), '');
      await page.locator('#upload-files').setInputFiles(join(demo, 'sample2.jpg'));
      await page.getByRole('button', { name: 'Upload' }).click();
      const pickErr = page.locator('#upload-source + .field-msg[data-kind="error"]');
      await pickErr.waitFor();
      assert.match(await pickErr.innerText(), /Choose the source/);
      // A retention date in the past: refused, the reason next to the field.
      await ingest.getByLabel('Name', { exact: true }).fill('ux-archive');
      await ingest.getByLabel('Jurisdiction (ISO country code)').fill('DE');
      await page.locator('#source-retain').fill('2020-01-01');
      await page.getByRole('button', { name: 'Declare source' }).click();
      const retErr = page.locator('#source-retain + .field-msg[data-kind="error"]');
      await retErr.waitFor();
      assert.match(await retErr.innerText(), /2020-01-01 is in the past/);
      await shot(page, '07-ingest-retention-refused', false);
      // Messages belong to their screen: gone after a screen change.
      await page.getByRole('link', { name: 'Stats' }).click();
      await page.getByRole('link', { name: 'Ingest' }).click();
      assert.equal(await retErr.isVisible(), false, 'an old error survived the screen change');
      // Declared properly, then a partial upload: one duplicate (says where), one refused.
      await ingest.getByLabel('Name', { exact: true }).fill('ux-archive');
      await ingest.getByLabel('Jurisdiction (ISO country code)').fill('DE');
      await page.locator('#source-retain').fill('2099-01-01');
      await page.getByRole('button', { name: 'Declare source' }).click();
      await page.getByText('Source “ux-archive” declared').waitFor();
      assert.notEqual(await page.locator('#upload-source').inputValue(), '');
      const junk = join(dir, 'notes.jpg');
      writeFileSync(junk, 'not an image');
      await page.locator('#upload-files').setInputFiles([join(demo, 'sample1.jpg'), join(demo, 'sample2.jpg'), junk]);
      await page.getByRole('button', { name: 'Upload' }).click();
      await page.getByText(/^Done: 1 stored/).waitFor();
      const dup = page.locator('#upload-table tr[data-status="duplicate"]');
      assert.match(await dup.innerText(), /already held in source “demo-photos”/);
      const summary = page.locator('#upload-summary');
      assert.equal(await summary.getAttribute('data-kind'), 'partial');
      assert.equal(await summary.evaluate((e) => getComputedStyle(e).color), 'rgb(138, 90, 0)', 'not amber');
      await shot(page, '08-ingest-partial');
      await page.context().close();
    }

    // --- Sources and Audit, as the auditor.
    {
      const page = await newPage();
      await signIn(page, url, keys.auditor);
      await page.locator('#screen-audit').waitFor({ state: 'visible' });
      await page.getByRole('link', { name: 'Sources' }).click();
      const scans = page.locator('li.source[data-source="scans-2025"]');
      await scans.waitFor();
      const facts = await scans.locator('dl').innerText();
      assert.match(facts, /Legal basis\s+art6-1-e/);
      assert.match(facts, /Jurisdiction\s+FR/);
      assert.match(facts, /Owner tenant\s+default/);
      assert.match(facts, /Images\s+1/);
      assert.match(facts, /Ingest errors\s+1/);
      assert.equal(await scans.getByText('Erase this source…').count(), 0, 'an auditor is offered erasure');
      await scans.getByRole('button', { name: /Batches and errors/ }).click();
      await scans.locator('.error-list li').first().waitFor();
      const errText = await scans.locator('.error-list').innerText();
      assert.match(errText, /^broken-scan\.jpg: /);
      assert.ok(!errText.includes(dir), 'an error shows the server\'s path');
      await shot(page, '09-sources-auditor');
      await scans.getByRole('link', { name: /Audit records of batch/ }).click();
      await page.locator('#screen-audit').waitFor({ state: 'visible' });
      await page.locator('#audit-batch-row').waitFor();
      const rows = page.locator('#audit-table tbody tr');
      await rows.first().waitFor();
      // A batch is audited when it starts and when it ends (ingest-start, then ingest).
      assert.equal(await rows.count(), 2);
      const batchRows = (await rows.allInnerTexts()).join('\n');
      assert.match(batchRows, /ingest-start/);
      assert.match(batchRows, /ingest(?!-start)/);
      // Details in words: no raw JSON.
      assert.equal(await page.locator('#audit-table pre').count(), 0);
      assert.match(await rows.first().locator('dl.details').innerText(), /ingest batch/);
      await page.locator('#audit-batch-clear').click();
      await page.locator('#audit-batch-row').waitFor({ state: 'hidden' });
      // The self-check actions are in the filter.
      const actions = await page.locator('#audit-action option').allTextContents();
      assert.ok(actions.some((a) => a.startsWith('selfcheck_request')), actions.join('|'));
      // Export of the filtered view.
      await page.locator('#audit-action').selectOption('ingest');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.getByText(/audit record\(s\) \(action ingest/).waitFor();
      const shown = await rows.count();
      assert.ok(shown >= 2);
      const csvDl = page.waitForEvent('download');
      await page.getByRole('button', { name: 'CSV' }).click();
      const csvPath = join(dir, 'audit.csv');
      await (await csvDl).saveAs(csvPath);
      const csv = readFileSync(csvPath, 'utf8').trim().split(/\r\n/);
      assert.equal(csv[0], 'seq,at,operator,action,purpose,legal_basis,case_ref,result_count,probe_hash,details,hash,prev_hash');
      assert.equal(csv.length, shown + 1);
      assert.ok(csv.slice(1).every((l) => l.split(',')[3] === 'ingest'));
      const jsonDl = page.waitForEvent('download');
      await page.getByRole('button', { name: 'JSON' }).click();
      const jsonPath = join(dir, 'audit.json');
      await (await jsonDl).saveAs(jsonPath);
      const exported = JSON.parse(readFileSync(jsonPath, 'utf8'));
      assert.equal(exported.filter.action, 'ingest');
      assert.equal(exported.entries.length, shown);
      await shot(page, '10-audit');
      // Phone: one card per record, no sideways scroll.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.locator('#audit-action').selectOption('');
      await page.getByRole('button', { name: 'Show' }).click();
      await rows.first().waitFor();
      assert.equal(await page.locator('#audit-table thead').isVisible(), false);
      assert.ok(await noHorizontalScroll(page), 'Audit scrolls sideways at 390 px');
      await shot(page, '11-audit-mobile');
      await page.context().close();
    }

    // --- Privacy and People, as the privacy officer.
    {
      const page = await newPage();
      await signIn(page, url, keys.privacy);
      await page.locator('#screen-privacy').waitFor({ state: 'visible' });
      const privacy = page.locator('#screen-privacy');
      await privacy.getByLabel(/^Purpose/).fill('subject access request');
      await privacy.getByLabel(/^Case reference/).fill('DSR-UX-1');
      await page.locator('#access-image').setInputFiles(join(demo, 'sample1.jpg'));
      await page.getByRole('button', { name: 'Look up' }).click();
      const summary = page.locator('#access-summary');
      await summary.getByText(/held face\(s\) match this person/).waitFor();
      assert.match(await summary.innerText(), /\(threshold 0\.\d\d\)/);
      // Stacked: every value gets the card's width, not a sliver of it.
      const widths = await page.locator('#access-faces dd').evaluateAll((dds) => dds.map((d) => d.getBoundingClientRect().width));
      assert.ok(widths.length > 0 && widths.every((w) => w > 150), `values too narrow: ${widths}`);
      await shot(page, '12-privacy-access');

      // Sources -> erase by source fills the erasure form (nothing erased before the preview).
      await page.getByRole('link', { name: 'Sources' }).click();
      const scans = page.locator('li.source[data-source="scans-2025"]');
      await scans.getByRole('link', { name: /Erase the source scans-2025/ }).click();
      await page.locator('#screen-privacy').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#erase-by').inputValue(), 'source');
      assert.equal(await page.locator('#erase-value').inputValue(), 'scans-2025');

      // People: cluster now, with progress, then merge two people picked from the list.
      await page.getByRole('link', { name: 'People' }).click();
      await listPeople(page);
      await page.locator('#people-table tbody tr').first().waitFor();
      await page.getByRole('button', { name: 'Cluster now' }).click();
      await page.getByText(/^Clustered \d+ face\(s\)/).waitFor();
      // Two people whose faces come from different photos (one photo never holds one person twice).
      const pair = await page.evaluate(async (key) => {
        const h = { Authorization: `Bearer ${key}` };
        // People reads state why (purpose, legal basis, case), like the screen's own form.
        const why = '?' + new URLSearchParams({ purpose: 'e2e: pick two people to merge',
          legal_basis: 'art6-1-e', case_ref: 'E2E-PEOPLE' }).toString();
        const { people } = await (await fetch(`/api/v1/people${why}`, { headers: h })).json();
        const images = {};
        for (const p of people) {
          const d = await (await fetch(`/api/v1/people/${p.id}${why}`, { headers: h })).json();
          images[p.id] = new Set(d.face_list.map((f) => f.image_id));
        }
        for (const a of people) {
          for (const b of people) {
            if (a.id < b.id && ![...images[a.id]].some((i) => images[b.id].has(i))) return [a.id, b.id];
          }
        }
        return null;
      }, keys.privacy);
      assert.ok(pair, 'no two people from different photos');
      assert.equal(await page.locator('#merge-submit').isDisabled(), true);
      for (const id of pair) await page.getByLabel(`Pick person ${id} for a merge`).check();
      await page.locator('#merge-into').selectOption(String(pair[0]));
      await shot(page, '13-people-merge-picked');
      await page.getByRole('button', { name: 'Merge the ticked people' }).click();
      await page.getByText(`Merged ${pair[1]} into person ${pair[0]}.`).waitFor();
      assert.equal(await page.getByLabel(`Pick person ${pair[1]} for a merge`).count(), 0);
      await shot(page, '14-people-merged');
      await page.context().close();
    }

    assert.deepEqual(errors, [], 'the page threw errors');
    assert.deepEqual(outside, [], 'the page made requests outside the server');
    assert.deepEqual(notFound, [], 'requests answered 404');
    log('passed');
  } finally {
    await browser.close();
    const code = await server.stop();
    if (code !== 0) log(`server exit code ${code}\n${server.stderr()}`);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`[e2e ux] FAILED: ${e.stack || e}\n`);
  process.exit(1);
});
