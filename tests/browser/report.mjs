// Drives eightfold report pages in a real browser (headless Chromium through playwright-core)
// and fails on anything a reader would see go wrong: a console error or warning, an uncaught
// exception, a chart that does not load, a step-through that does not move.
//
// Usage: node report.mjs SCREENSHOT_DIR REPORT_DIR...
// Chromium: $CHROMIUM, else /usr/bin/chromium (Debian's package `chromium`).
// Prints one line per page; exit code 0 when every page passed, 1 otherwise.

import { chromium } from 'playwright-core';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [shots, ...reports] = process.argv.slice(2);
if (!shots || reports.length === 0) {
  console.error('usage: node report.mjs SCREENSHOT_DIR REPORT_DIR...');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`error: no Chromium at ${executablePath} (install Debian's package chromium, or set CHROMIUM)`);
  process.exit(2);
}

const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
let failed = 0;
try {
  for (const dir of reports) {
    const problems = await checkReport(dir);
    if (problems.length) {
      failed += 1;
      console.log(`FAIL ${basename(dir)}: ${problems.join('; ')}`);
    } else {
      console.log(`ok   ${basename(dir)}`);
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);

/** Opens one report's index.html and returns what went wrong (empty when nothing did). */
async function checkReport(dir) {
  const problems = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`failed to load ${r.url()}`));
  const name = basename(dir);
  const url = pathToFileURL(resolve(join(dir, 'index.html'))).href;
  await page.goto(url, { waitUntil: 'load' });

  // Every chart image loaded and has a size.
  const broken = await page.$$eval('img', (imgs) =>
    imgs.filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.getAttribute('src')));
  for (const src of broken) problems.push(`chart ${src} did not render`);

  const data = await page.$eval('#step-data', (e) => JSON.parse(e.textContent)).catch(() => null);
  if (!data) {
    problems.push('no step-through data (#step-data)');
  } else {
    const nodes = data.nodes.length;
    const drawn = await page.$$eval('#stage g.st-node', (g) => g.length);
    if (drawn !== nodes) problems.push(`the stage draws ${drawn} nodes, the run has ${nodes}`);
    const servers = data.nodes.filter((n) => n[1] === 's').length;
    const rows = await page.$$eval('#step-table tbody tr', (r) => r.length);
    if (rows !== servers) problems.push(`the state table has ${rows} rows, the run has ${servers} servers`);

    // The legend names every message type the recording holds, in its colour.
    const legend = await page.$$eval('#step-legend .lg', (items) => items.map((i) => i.textContent.trim()));
    for (const kind of data.kinds) {
      if (!legend.includes(kind)) problems.push(`the legend does not name ${kind}`);
    }
    const lost = data.fates.filter((f) => f !== 'delivered').length;
    if (legend.filter((l) => l.startsWith('lost: ')).length !== lost) problems.push(`the legend does not name the ${lost} ways messages were lost`);

    // Stepping forward moves the clock and names what happened; stepping back returns.
    const clock = () => page.$eval('#step-time', (e) => e.textContent);
    const slider = () => page.$eval('#step-slider', (e) => Number(e.value));
    const t0 = await slider();
    for (let k = 0; k < 5; k++) await page.click('#step-next');
    const t5 = await slider();
    if (!(t5 > t0)) problems.push(`five "next event" clicks left the time at ${t5} (from ${t0})`);
    const said = await page.$eval('#step-events', (e) => e.textContent.trim());
    if (!said) problems.push('after stepping, nothing says what happened');
    await page.click('#step-prev');
    const back = await slider();
    if (!(back < t5)) problems.push(`"previous event" did not go back (${back} after ${t5})`);

    // The keyboard steps too (arrow keys on the focused section).
    await page.focus('#step');
    await page.keyboard.press('ArrowRight');
    if (!((await slider()) > back)) problems.push('the right arrow key did not step forward');

    // Play runs the clock; pressing it again pauses.
    await page.click('#step-window');
    const before = await clock();
    await page.click('#step-play');
    await page.waitForTimeout(400);
    await page.click('#step-play');
    if ((await clock()) === before) problems.push('play did not move the clock');

    // Every instant can be drawn: the end of the run, and the middle of the window.
    for (const t of [data.end, Math.round((data.window[0] + data.window[1]) / 2)]) {
      await page.$eval('#step-slider', (e, v) => { e.value = String(v); e.dispatchEvent(new Event('input')); }, t);
      const text = await clock();
      if (!text) problems.push(`no time shown at ${t}`);
    }
    await page.click('#step-window');
    for (let k = 0; k < 12; k++) await page.click('#step-next');
    await page.locator('#step').screenshot({ path: join(shots, `${name}-step.png`) });
  }
  await page.screenshot({ path: join(shots, `${name}-page.png`), fullPage: false });
  await page.close();
  return problems;
}
