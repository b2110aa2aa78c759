// Drives a live `eightfold lab` page in headless Chromium as a student would, and fails on a
// console error, an uncaught exception, or a step that does not show on the page: play until
// a leader exists, crash it by clicking, see a new leader, partition a minority through the
// form, heal, send a put and a get, deploy a named bug to one server, save (download); then rewind to before the crash, act
// differently, save again. Prints one JSON line: the two saved files' texts and the digests
// the page showed; the Rust side runs them with `eightfold run`.
//
// Usage: node lab.mjs URL SCREENSHOT_DIR

import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [url, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) { console.error('no Chromium'); process.exit(2); }
const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
const problems = [];
try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') { problems.push(`console ${m.type()}: ${m.text()}`); } });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  await page.goto(url);
  const leader = async () => page.$eval('#lab-servers', (b) => {
    const l = b.querySelector('.lab-server.leader');
    return l ? l.getAttribute('data-node') : null;
  });
  const waitFor = async (what, f, ms = 15000) => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await f();
      if (v) { return v; }
      if (Date.now() > end) { throw new Error(`timed out waiting for ${what}`); }
      await page.waitForTimeout(50);
    }
  };
  const state = () => page.evaluate(async () => {
    const t = new URLSearchParams(location.search).get('token');
    return (await fetch('/api/state', { headers: { 'X-Lab-Token': t } })).json();
  });
  await page.selectOption('#lab-speed', '1');
  await page.click('#lab-play');
  const first = await waitFor('a leader', leader);
  // From here on the student acts while paused and steps: where each step stops is the
  // run's doing, not the machine's load.
  await page.click('#lab-pause');
  await waitFor('the pause', async () => !(await state()).playing);
  await page.click(`.lab-server[data-node="${first}"] button:text-is("crash")`);
  await waitFor('the crash on the page', async () => (await page.$(`.lab-server.down[data-node="${first}"]`)) !== null);
  const stepBy = async (by, what, done, most = 60) => {
    for (let i = 0; i < most; i++) {
      const v = await done();
      if (v) { return v; }
      const before = await page.textContent('#lab-time');
      await page.click(`.lab-steps button[data-by="${by}"]`);
      await waitFor(`the step by ${by}`, async () => (await page.textContent('#lab-time')) !== before ||
        !(await page.isHidden('#lab-stepped')));
      await page.waitForTimeout(30);
    }
    throw new Error(`no ${what} after ${most} steps by ${by}`);
  };
  const second = await stepBy('role', 'new leader', async () => { const l = await leader(); return l && l !== first ? l : null; });
  // A minority: two servers, neither the new leader.
  const names = (await state()).servers.map((n) => n.name);
  const minority = names.filter((n) => n !== second).slice(0, 2);
  await page.fill('#lab-side', minority.join(' '));
  await page.click('#lab-partition');
  await waitFor('the partition', async () => (await state()).open_faults.some((f) => f.kind === 'partition'));
  // A few instants on, one event at a time: the page lists what each event did.
  for (let i = 0; i < 3; i++) {
    const n = (await state()).events;
    await page.click('#lab-step-event');
    await waitFor('one event', async () => (await state()).events > n);
  }
  // The page lists what the last event did once the step's answer is in.
  await waitFor('the events listed', async () => (await page.$$eval('#lab-events li', (l) => l.length)) > 0);
  // Let the partition last a moment (where the pause lands does not matter: every action
  // below is taken while paused).
  await page.click('#lab-play');
  await page.waitForTimeout(400);
  await page.click('#lab-pause');
  await waitFor('the pause', async () => !(await state()).playing);
  await page.click('#lab-refresh');
  const frame = page.frameLocator('#lab-view');
  await frame.locator('#stage').waitFor({ timeout: 30000 });
  await page.waitForTimeout(500);
  // The step-through opens at the session's instant, with the partition still in effect.
  const inEffect = await frame.locator('#step-faults').textContent();
  if (!/partition/.test(inEffect)) { problems.push(`the step-through at the session's instant shows: ${inEffect}`); }
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, 'lab-partition.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1900 } });
  await page.locator('#lab-view').screenshot({ path: join(shots, 'lab-partition-stage.png') });
  await page.click('#lab-heal');
  await waitFor('the heal', async () => !(await state()).open_faults.some((f) => f.kind === 'partition'));
  const done = (op) => async () => (await state()).recent.find((o) => o.op === op && o.key === 'k4');
  await page.selectOption('#lab-client', 'c1');
  await page.selectOption('#lab-op', 'put');
  await page.fill('#lab-key', 'k4');
  await page.fill('#lab-value', 'from-the-lab');
  await page.click('#lab-send');
  const put = await stepBy('operation', 'the put ending', done('put'));
  if (put.outcome !== 'ok') { problems.push(`the put ended ${put.outcome}`); }
  await page.selectOption('#lab-client', 'c2');
  await page.selectOption('#lab-op', 'get');
  await page.click('#lab-send');
  const got = await stepBy('operation', 'the get ending', done('get'));
  if (got.read !== 'from-the-lab') { problems.push(`the get after the put read ${JSON.stringify(got.read)}`); }
  // Deploy a build with a named bug to the leader alone: its box says which bug it runs.
  await page.selectOption('#lab-bug', 'stale_follower_reads');
  await page.fill('#lab-bug-nodes', second);
  await page.click('#lab-bug-deploy');
  await waitFor('the bug on the page', async () =>
    /runs bug stale_follower_reads/.test(await page.textContent(`.lab-server[data-node="${second}"]`)));
  const others = await page.$$eval('.lab-server .bug', (l) => l.length);
  if (others !== 1) { problems.push(`${others} servers say they run the bug, not 1`); }
  await page.locator('#lab-servers').screenshot({ path: join(shots, 'lab-bug.png') });
  const save = async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#lab-save')]);
    const text = readFileSync(await download.path(), 'utf8');
    const digest = await page.textContent('#lab-digest');
    return { text, digest, file: download.suggestedFilename() };
  };
  const saved = await save();
  if (!saved.text.includes('from-the-lab')) { problems.push('the saved file lacks the put'); }
  if (!saved.text.includes('"fault": "bug"')) { problems.push('the saved file lacks the bug'); }
  // Rewind to just before the crash, act differently, save again.
  const crash = (await state()).actions.find((a) => a.fault === 'crash');
  const at = Number(crash.at.replace('ns', ''));
  await page.fill('#lab-rewind-to', String((at - 1000) / 1e9));
  await page.click('#lab-rewind');
  await waitFor('the rewind', async () => (await state()).actions.length === 0);
  const other = names.find((n) => n !== first);
  await page.click(`.lab-server[data-node="${other}"] button:text-is("isolate")`);
  await waitFor('the isolation', async () => (await state()).actions.length === 1);
  await page.click('#lab-step');
  await waitFor('the step', async () => (await state()).actions.length === 1);
  const rewound = await save();
  console.log(JSON.stringify({ first, second, minority, saved, rewound, isolated: other }));
} catch (e) {
  problems.push(e.message);
} finally {
  await browser.close();
}
if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
