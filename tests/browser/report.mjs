// Drives eightfold report pages in a real browser (headless Chromium through playwright-core)
// and fails on anything a reader would see go wrong: a console error or warning, an uncaught
// exception, a chart that does not load, a step-through that does not move; and checks that
// the page opens at the first fault, that stepping by fault and by role change lands on the
// instants recording.json gives and shows each server's state as recording.json has it
// there, and that the operation timeline shows each operation as history.json has it; and
// that the stage draws the network as outcome.json's fault records have it at each fault's
// start (a partition's sides, a one-way cut's arrows) and each crashed or paused node as
// recording.json has it there; and that the per-server panel shows, at several instants,
// exactly what recording.json has: a Multi-Paxos acceptor's promised ballot and the round of
// each slot drawn, a quorum replica's version of each key (stale ones drawn stale) and the
// hints it holds, the values each gossip peer holds.
//
// Usage: node report.mjs SCREENSHOT_DIR REPORT_DIR...
// Chromium: $CHROMIUM, else /usr/bin/chromium (Debian's package `chromium`).
// Prints one line per page; exit code 0 when every page passed, 1 otherwise.

import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What the per-server panel was checked showing, over one page: instants with a promise,
 * with versions, with a hint, with a gossip peer lacking a value another holds. */
let seenPanel = { promised: 0, versions: 0, hints: 0, lacking: 0, instants: new Set() };

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

  // Every chart is a live SVG document inside the page (an <object>, so its hover text
  // works there), with a size; every latency mark carries its hover text.
  const charts = await page.$$eval('figure object', (os) =>
    os.map((o) => { const b = o.getBoundingClientRect(); return [o.getAttribute('data'), b.width, b.height]; }));
  for (const [file, w, h] of charts) {
    const frame = page.frames().find((f) => f.url().endsWith('/' + file));
    const root = frame ? await frame.evaluate(() => document.documentElement.tagName).catch(() => null) : null;
    if (root !== 'svg' || w < 100 || h < 50) problems.push(`chart ${file} did not render inside the page (${root}, ${w}x${h})`);
    if (file === 'latency.svg' && frame) {
      const [marks, titled] = await frame.evaluate(() => {
        const m = [...document.querySelectorAll('g.ops-ok > *, g.ops-fail > *, g.ops-info > *')];
        return [m.length, m.filter((e) => e.querySelector('title')).length];
      });
      if (marks === 0 || titled !== marks) problems.push(`latency.svg: ${titled} of ${marks} marks have hover text in the page`);
    }
  }

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

    seenPanel = { promised: 0, versions: 0, hints: 0, lacking: 0, instants: new Set() };
    await checkStepsByKind(page, dir, data, problems, name);
    await checkPanel(page, dir, data, problems, name);
    await checkStage(page, dir, data, problems, name);
    await checkMessageContents(page, dir, problems, name);
    if (data.clients) await checkOpTimeline(page, dir, data, problems, name);
  }
  await page.screenshot({ path: join(shots, `${name}-page.png`), fullPage: false });
  await page.close();
  return problems;
}

function us(ns) { return Math.floor(ns / 1000); }
function readJson(dir, file) { return JSON.parse(readFileSync(join(dir, file), 'utf8')); }
// Seconds as the page writes them: six decimals, a thin space after the third.
function pageSecs(u) { return (u / 1e6).toFixed(6).replace(/(\.\d{3})(\d{3})$/, '$1\u2009$2') + ' s'; }
function slider(page) { return page.$eval('#step-slider', (e) => Number(e.value)); }

/** What recording.json says each server was at page instant t (µs): the state after every
 * change recorded at or before it. Values a thinned log point leaves open are ranges. */
function expectedState(rec, t) {
  const out = [];
  rec.nodes.forEach((n, i) => {
    if (n.kind !== 'server') return;
    let role = null;
    for (const r of rec.roles) if (r.node === i && us(r.t) <= t) role = r;
    let down = false, paused = false;
    for (const e of rec.lifecycle) {
      if (e.node !== i || us(e.t) > t) continue;
      down = e.event === 'crash';
      paused = e.event === 'pause';
    }
    const track = rec.tracks.find((x) => x.node === i);
    let p = null, q = null;
    if (track && track.log) {
      for (const x of track.log) { if (us(x[0]) <= t) p = x; else { q = x; break; } }
    }
    // A thinned point ahead whose changes have begun: the page shows a range.
    const moving = q && q.length > 4 && t >= us(q[0]) - (us(q[0]) - us(q[4])) ? q : null;
    const fig = (k) => {
      const a = p ? p[k] : 0;
      return moving && moving[k] !== a ? `${a}\u2013${moving[k]}` : String(a);
    };
    out.push({ node: i, track, name: n.name, down, paused, role: role ? role.role : '', term: role ? role.term : 0,
      last: fig(1), lastTerm: fig(2), commit: fig(3), shown: !!(p || moving) });
  });
  return out;
}

/** The per-server panel's figures, as data attributes of each server's row. */
function shownPanel(page) {
  return page.$$eval('#servers-state .srv', (rows) => rows.map((r) => Object.fromEntries(
    ['node', 'last', 'commit', 'voted', 'terms', 'progress', 'timer', 'cut', 'promised', 'versions', 'hints', 'values']
      .map((k) => [k, r.getAttribute(`data-${k}`)]).concat([['stale', r.querySelectorAll('.kv-stale').length]]))));
}

/** The runs of terms of a track's log after its changes up to page instant t (and the first
 * `limit` of them when given), as [start, term]; a run of term 0 holds nothing known. */
function runsAt(track, t, limit) {
  const out = [];
  (track.runs || []).forEach((r, k) => {
    if (us(r[0]) > t || (limit !== undefined && k >= limit)) return;
    while (out.length && out[out.length - 1][0] >= r[1]) out.pop();
    out.push([r[1], r[2]]);
  });
  return out;
}
function termOf(runs, i) {
  let term = 0;
  for (const [start, t] of runs) if (start <= i) term = t;
  return term;
}

/** One server's row of the per-server panel against recording.json at page instant t: log
 * length, commit, votedFor, the term of every entry drawn, and (a leader inside the window)
 * nextIndex/matchIndex per follower; entries drawn as just discarded had those terms. */
function checkServerRow(rec, data, row, w, t, bad) {
  if (!row) return;
  if (row.node !== String(w.node)) bad('panel row', row.node, w.node);
  if (w.down) return;
  const track = w.track;
  if (w.shown) {
    if (row.last !== w.last) bad('panel log length', row.last, w.last);
    if (row.commit !== w.commit) bad('panel commit', row.commit, w.commit);
  }
  // votedFor: the vote granted in the server's current term.
  let voted = '';
  for (const v of (track && track.votes) || []) if (us(v[0]) <= t && v[1] === w.term) voted = rec.nodes[v[2]].name;
  if (w.role && data.state.votes.length && row.voted !== voted) bad('votedFor', row.voted, voted);
  if (data.state.runs && track) {
    const runs = runsAt(track, t);
    for (const cell of (row.terms || '').split(' ').filter(Boolean)) {
      const [i, term] = cell.split(':').map(Number);
      if (termOf(runs, i) !== term) bad(`term of entry ${i}`, term, termOf(runs, i));
    }
    if (row.cut) {
      // The truncation drawn: recording.json has it, and the entries drawn discarded had
      // the terms they show just before it.
      const [range, ...cells] = row.cut.split(' ');
      const from = Number(range.split('-')[0]);
      const x = (track.truncations || []).filter((c) => us(c[0]) <= t && c[1] === from).pop();
      if (!x) bad('discarded entries', row.cut, 'no truncation');
      else {
        const cutAt = track.runs.findIndex((r) => r[0] === x[0] && r[1] === from && r[2] === 0);
        const before = runsAt(track, Infinity, cutAt);
        for (const cell of cells) {
          const [i, term] = cell.split(':').map(Number);
          if (termOf(before, i) !== term) bad(`discarded entry ${i}'s term`, term, termOf(before, i));
        }
      }
    }
  }
  // A Paxos acceptor's promise: the last one announced (every start announces one).
  if (data.state.promises && data.state.promises.length) {
    const p = ((track && track.promises) || []).filter((x) => us(x[0]) <= t).pop();
    const want = !p ? '' : p[1] > 0 ? `${p[1]}.${rec.nodes[p[2]].name}` : '0';
    if (row.promised !== want) bad('promised ballot', row.promised, want);
    if (want) seenPanel.promised += 1;
  }
  const inWindow = t >= us(rec.window[0]) && t <= us(rec.window[1]);
  if (w.role === 'leader' && inWindow && track && track.progress) {
    const since = rec.roles.filter((r) => r.node === w.node && us(r.t) <= t).pop();
    const last = {};
    for (const p of track.progress) if (us(p[0]) <= t && us(p[0]) >= us(since.t)) last[p[1]] = p;
    const want = Object.keys(last).map(Number).sort((a, b) => a - b)
      .map((p) => `${rec.nodes[p].name}:${last[p][2]}/${last[p][3]}`).join(' ');
    if (row.progress !== want) bad('nextIndex/matchIndex', row.progress, want);
  }
}

/** The instant (µs) server `node` last started at or before t, from recording.json. */
function startedAt(rec, node, t) {
  let since = -1;
  for (const e of rec.lifecycle) if (e.node === node && us(e.t) <= t && e.event === 'start') since = us(e.t);
  return since;
}

/** A leaderless server's row against recording.json at page instant t: the version of each
 * key a quorum replica holds, the stale ones drawn as stale, the hints it holds (inside the
 * recorded window, where they are recorded); the values a gossip peer holds. */
function checkPeersRow(rec, data, row, w, t, bad, newest) {
  if (!row) return;
  const track = w.track || {};
  const since = startedAt(rec, w.node, t);
  const live = (x) => us(x[0]) <= t && us(x[0]) >= since;
  if (data.peers.versions) {
    const inWindow = t >= us(rec.window[0]) && t <= us(rec.window[1]);
    const store = new Map(), hints = new Map();
    if (inWindow && !w.down) {
      for (const v of (track.versions || []).filter(live)) store.set(v[1], [v[2], v[3]]);
      for (const h of (track.hints || []).filter(live)) {
        if (h[3]) hints.set(`${h[1]}:${h[2]}`, [h[1], h[2], ...h[3]]); else hints.delete(`${h[1]}:${h[2]}`);
      }
    }
    const want = [...store.keys()].sort((a, b) => a - b).map((k) => `${k}:${store.get(k).join(':')}`).join(' ');
    if (row.versions !== want) bad('versions held', row.versions, want);
    const wantHints = [...hints.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((h) => h.join(':')).join(' ');
    if (row.hints !== wantHints) bad('hints waiting', row.hints, wantHints);
    const stale = [...store.entries()].filter(([k, v]) => newest.has(k) && (v[0] !== newest.get(k)[0] || v[1] !== newest.get(k)[1])).length;
    if (row.stale !== stale) bad('stale versions drawn', row.stale, stale);
    if (store.size) seenPanel.versions += 1;
    if (hints.size) seenPanel.hints += 1;
  } else {
    const held = new Set();
    if (!w.down) for (const x of (track.learned || []).filter(live)) held.add(x[1]);
    const want = [...held].sort((a, b) => a - b).join(' ');
    if (row.values !== want) bad('values held', row.values, want);
  }
}

/** The newest version of each key any live replica holds at t, from recording.json. */
function newestAt(rec, states, t) {
  const newest = new Map();
  if (!(t >= us(rec.window[0]) && t <= us(rec.window[1]))) return newest;
  for (const w of states) {
    if (w.down || !w.track) continue;
    const since = startedAt(rec, w.node, t);
    const store = new Map();
    for (const v of w.track.versions || []) if (us(v[0]) <= t && us(v[0]) >= since) store.set(v[1], [v[2], v[3]]);
    for (const [k, v] of store) {
      const n = newest.get(k);
      if (!n || v[0] > n[0] || (v[0] === n[0] && v[1] > n[1])) newest.set(k, v);
    }
  }
  return newest;
}

/** The state table as the page shows it. */
function shownState(page) {
  return page.$$eval('#step-table tbody tr', (rows) => rows.map((r) => Array.from(r.cells).map((c) => c.textContent)));
}

/** Compares the page's table at its current instant with recording.json. */
async function compareState(page, rec, data, problems, what) {
  const t = await slider(page);
  const want = expectedState(rec, t);
  const got = await shownState(page);
  const panel = await shownPanel(page);
  if ((data.state || data.peers) && panel.length !== want.length) problems.push(`${what}: the per-server panel has ${panel.length} rows, the run has ${want.length} servers`);
  const newest = data.peers && data.peers.versions ? newestAt(rec, want, t) : null;
  seenPanel.instants.add(t);
  if (data.peers && data.peers.learned) {
    // Some live peer lacks a value another holds: the lesson of a partition.
    const sets = want.filter((w) => !w.down && w.track).map((w) => {
      const since = startedAt(rec, w.node, t);
      return new Set((w.track.learned || []).filter((x) => us(x[0]) <= t && us(x[0]) >= since).map((x) => x[1]));
    });
    const all = new Set(sets.flatMap((x) => [...x]));
    if (sets.some((x) => x.size < all.size)) seenPanel.lacking += 1;
  }
  want.forEach((w, k) => {
    const row = got[k] || [];
    const state = w.down ? 'crashed' : w.paused ? 'paused' : 'up';
    const bad = (field, g, e) => problems.push(`${what} at ${t} µs: ${w.name} ${field} shows ${JSON.stringify(g)}, recording.json says ${JSON.stringify(e)}`);
    if (row[0] !== w.name) bad('name', row[0], w.name);
    if (data.state) checkServerRow(rec, data, panel[k], w, t, bad);
    if (data.peers) checkPeersRow(rec, data, panel[k], w, t, bad, newest);
    if (row[1] !== state) bad('state', row[1], state);
    if (!data.words || w.down) return;
    const role = w.role.replace('_', '-');
    if (row[2] !== role) bad('role', row[2], role);
    const term = role === 'peer' || role === '' ? '' : String(w.term);
    if (row[3] !== term) bad('term', row[3], term);
    if (w.shown) {
      if (row[4] !== w.last) bad('last', row[4], w.last);
      if (row[5] !== w.lastTerm) bad('last term', row[5], w.lastTerm);
      if (row[6] !== w.commit) bad('commit', row[6], w.commit);
    }
  });
  return t;
}

/** The page opens at the first fault (or check failure); stepping by fault and by role
 * change lands where recording.json and outcome.json say and shows their state there. */
async function checkStepsByKind(page, dir, data, problems, name) {
  const rec = readJson(dir, 'recording.json');
  const outcome = readJson(dir, 'outcome.json');
  // Open afresh: the page's opening instant.
  await page.reload({ waitUntil: 'load' });
  const opened = await slider(page);
  const starts = outcome.faults.map((f) => us(f.start)).sort((a, b) => a - b);
  // The first check failure, from outcome.json (not from the page's own data): a halt, the
  // last call among a linearizability counterexample's operations, a failed check's stamp.
  const fails = [];
  if (outcome.halted) fails.push(us(outcome.halted.at));
  const cx = outcome.linearizability && outcome.linearizability.counterexample;
  if (cx && cx.ops.length) fails.push(us(Math.max(...cx.ops.map((o) => o.call))));
  for (const c of Object.values(outcome.checks || {})) if (c.status === 'fail' && c.at !== undefined) fails.push(us(c.at));
  const failAt = fails.length ? Math.min(...fails) : null;
  if (failAt !== (data.checkFails.length ? data.checkFails[0][0] : null)) {
    problems.push(`the page's first check failure is ${JSON.stringify(data.checkFails[0])}, outcome.json says ${failAt} µs`);
  }
  const want = failAt !== null ? failAt : starts.length ? starts[0] : data.window[0];
  if (opened !== want) problems.push(`the page opens at ${opened} µs, not at the first ${failAt !== null ? 'check failure' : 'fault'} (${want} µs)`);
  if (starts.length) await compareState(page, rec, data, problems, 'opening');
  await page.locator('#step').screenshot({ path: join(shots, `${name}-opening.png`) });

  // Next fault: the next instant a fault starts or ends, from outcome.json.
  const edges = [...new Set(outcome.faults.flatMap((f) => [us(f.start), f.end === null ? null : us(f.end)])
    .filter((x) => x !== null && x < data.end))].sort((a, b) => a - b);
  const nextEdge = edges.find((x) => x > opened);
  if (nextEdge !== undefined) {
    await page.click('#step-next-fault');
    const t = await slider(page);
    if (t !== nextEdge) problems.push(`"next fault" went to ${t} µs, outcome.json's next fault edge is ${nextEdge} µs`);
    await compareState(page, rec, data, problems, 'next fault');
    await page.click('#step-prev-fault');
    const back = edges.filter((x) => x < nextEdge).pop();
    const now = await slider(page);
    if (now !== (back === undefined ? nextEdge : back)) problems.push(`"previous fault" went to ${now} µs, not ${back} µs`);
  }

  // Next role change (protocols with roles): the next change recording.json has.
  if (data.words) {
    const changes = rec.roles.filter((r) => rec.nodes[r.node].kind === 'server' && !(r.t === 0 && r.term === 0)).map((r) => us(r.t));
    const now = await slider(page);
    const next = changes.filter((x) => x > now).sort((a, b) => a - b)[0];
    if (next !== undefined) {
      await page.click('#step-next-role');
      const t = await slider(page);
      if (t !== next) problems.push(`"next role change" went to ${t} µs, recording.json's next is ${next} µs`);
      const said = await page.$eval('#step-events', (e) => e.textContent);
      if (!said.includes(' became ')) problems.push(`at a role change the page says "${said.slice(0, 120)}"`);
      await compareState(page, rec, data, problems, 'next role change');
      await page.locator('#step').screenshot({ path: join(shots, `${name}-role-change.png`) });
    } else if (!(await page.$eval('#step-next-role', (b) => b.disabled)) && changes.length === 0) {
      problems.push('"next role change" is enabled in a run without role changes');
    }
  }
  // Just after each log truncation (in raft-minority-partition: the stranded leader's
  // uncommitted entries replaced after the heal), the panel draws them discarded.
  if (data.state && data.state.runs) {
    const cuts = rec.tracks.flatMap((x) => (x.truncations || []).map((c) => [us(c[0]), x.node])).sort((a, b) => a[0] - b[0]);
    for (const [at, node] of cuts.slice(0, 2)) {
      await page.$eval('#step-slider', (e, v) => { e.value = String(v); e.dispatchEvent(new Event('input')); }, at);
      await compareState(page, rec, data, problems, 'just after a truncation');
      const cut = await page.$eval(`#servers-state .srv[data-node="${node}"]`, (r) => r.getAttribute('data-cut'));
      if (!cut) problems.push(`at the truncation at ${at} µs ${rec.nodes[node].name}'s discarded entries are not drawn`);
      await page.locator('#servers-state').screenshot({ path: join(shots, `${name}-discarded.png`) });
    }
  }
  // Every kind without instants is disabled and says why.
  const disabled = await page.$$eval('#step-by button:disabled', (b) => b.map((x) => x.title));
  for (const why of disabled) if (!why) problems.push('a disabled step button does not say why');
}

/** The per-server panel of Multi-Paxos, the quorum store and gossip, at instants where it has
 * something to show: the window's first and last instants and its middle, each change of a
 * hint (quorum), the fault edges (gossip); each against recording.json (compareState). Each
 * page must have been checked at two instants or more, and must have shown what its
 * protocol's lesson needs: promises (Paxos), versions and a waiting hint (quorum store), a
 * peer lacking values another holds (gossip). */
async function checkPanel(page, dir, data, problems, name) {
  const rec = readJson(dir, 'recording.json');
  const paxos = !!(data.state && data.state.promises && data.state.promises.length);
  if (!paxos && !data.peers) return;
  const [w0, w1] = [us(rec.window[0]), us(rec.window[1])];
  let at = [w0, Math.round((w0 + w1) / 2), w1];
  if (data.peers && data.peers.hints) {
    at = at.concat(rec.tracks.flatMap((x) => (x.hints || []).map((h) => us(h[0]))).filter((t) => t >= w0 && t <= w1).slice(0, 6));
  }
  if (data.peers && data.peers.learned) at = at.concat(data.faults.map((f) => f[0] + 50000), [data.end]);
  if (paxos) {
    // Just after the first slots accepted again in a later round (a middle of the runs rewritten).
    at = at.concat(rec.tracks.flatMap((x) => (x.runs || []).map((r) => us(r[0]))).filter((t) => t >= w0 && t <= w1).slice(0, 4));
  }
  for (const t of [...new Set(at)].sort((a, b) => a - b)) {
    await page.$eval('#step-slider', (e, v) => { e.value = String(v); e.dispatchEvent(new Event('input')); }, t);
    await compareState(page, rec, data, problems, `panel at ${t} µs`);
  }
  if (seenPanel.instants.size < 2) problems.push(`the per-server panel was checked at ${seenPanel.instants.size} instant(s), not two or more`);
  if (paxos && seenPanel.promised === 0) problems.push('no acceptor\'s promise was ever shown');
  if (data.peers && data.peers.versions && (seenPanel.versions === 0 || seenPanel.hints === 0)) {
    problems.push(`the quorum panel never showed ${seenPanel.versions ? 'a waiting hint' : 'a version held'}`);
  }
  if (data.peers && data.peers.learned && seenPanel.lacking === 0) problems.push('the gossip panel never showed a peer lacking a value another holds');
  // A screenshot of the panel where the lesson shows: the quorum store at its first check
  // failure (a stale read) if the window holds it; gossip 50 ms into its second fault; Paxos
  // 2 ms after the window's first new leader (slots accepted again in its round).
  const inside = (t) => t !== undefined && t >= w0 && t <= w1;
  const fail = data.checkFails.length ? data.checkFails[0][0] : undefined;
  const leader = rec.roles.map((r) => [us(r.t), r.role]).find(([t, role]) => role === 'leader' && inside(t));
  const shot = data.peers && data.peers.versions ? (inside(fail) ? fail : at.find((t) => t > w0))
    : data.peers ? (data.faults.length > 1 ? data.faults[1][0] + 50000 : w1)
      : leader && inside(leader[0] + 2000) ? leader[0] + 2000 : Math.round((w0 + w1) / 2);
  if (!at.includes(shot)) {
    await page.$eval('#step-slider', (e, v) => { e.value = String(v); e.dispatchEvent(new Event('input')); }, shot);
    await compareState(page, rec, data, problems, `panel at ${shot} µs`);
  }
  await page.$eval('#step-slider', (e, v) => { e.value = String(v); e.dispatchEvent(new Event('input')); }, shot);
  await page.locator('#servers-state').screenshot({ path: join(shots, `${name}-panel.png`) });
}

/** Clicking a message in flight shows its contents exactly as recording.json has them. */
async function checkMessageContents(page, dir, problems, name) {
  const rec = readJson(dir, 'recording.json');
  const withContents = rec.messages.filter((m) => m.contents && m.contents.length).length;
  await page.click('#step-window');
  let dots = 0;
  for (let k = 0; k < 200 && dots === 0; k++) {
    await page.click('#step-next');
    dots = await page.$$eval('#stage .st-msg', (d) => d.length);
  }
  if (dots === 0) { problems.push('no message could be clicked in the recorded window'); return; }
  // Click the dot itself (a dispatched click: a dot may sit under a node's label).
  await page.$eval('#stage .st-msg', (d) => d.dispatchEvent(new MouseEvent('click', { bubbles: true })));
  const box = await page.$eval('#step-msg', (b) => ({
    sent: Number(b.getAttribute('data-sent')),
    from: Number(b.getAttribute('data-from')),
    to: Number(b.getAttribute('data-to')),
    kind: b.getAttribute('data-kind'),
    head: (b.querySelector('.st-msg-head') || {}).textContent || '',
    fields: Array.from(b.querySelectorAll('dt')).map((dt) => [dt.textContent, dt.nextElementSibling.textContent]),
  }));
  // Messages sent in the same microsecond on the same link are told apart by their contents.
  const same = rec.messages.filter((x) => us(x.sent) === box.sent && x.from === box.from && x.to === box.to && x.kind === box.kind);
  if (same.length === 0) { problems.push(`the clicked message (${JSON.stringify(box)}) is not in recording.json`); return; }
  const word = (v) => v === true ? 'yes' : v === false ? 'no' : v !== null && typeof v === 'object' ? rec.nodes[v.node].name : String(v);
  const shown = (c) => (c || []).map(([k, v]) => [k, word(v)]);
  const m = same.find((x) => JSON.stringify(shown(x.contents)) === JSON.stringify(box.fields));
  if (!m) {
    problems.push(`the clicked ${box.kind} shows ${JSON.stringify(box.fields)}, recording.json has ${same.map((x) => JSON.stringify(shown(x.contents))).join(' or ')}`);
    return;
  }
  if (!box.head.startsWith(m.kind)) problems.push(`the message box says "${box.head}" for a ${m.kind}`);
  const want = shown(m.contents);
  // Every shipped protocol lists its messages' contents: a recording without any is a bug.
  if (withContents === 0) problems.push('no message of the recording lists its contents');
  if (want.length === 0) problems.push(`the clicked ${m.kind} lists no contents`);
  await page.locator('#step').screenshot({ path: join(shots, `${name}-message.png`) });
}

/** Hovering an operation names it as history.json has it; clicking it moves the cursor. */
async function checkOpTimeline(page, dir, data, problems, name) {
  const historyFile = join(dir, 'history.json');
  await page.reload({ waitUntil: 'load' });
  const bars = await page.$$('#ops-timeline .op-bar');
  if (bars.length === 0) { problems.push('the operation timeline draws no operation at the opening instant'); return; }
  const history = existsSync(historyFile) ? readJson(dir, 'history.json') : null;
  const bar = bars[Math.floor(bars.length / 2)];
  const k = Number(await bar.getAttribute('data-op'));
  await bar.hover();
  const info = await page.$eval('#ops-info', (e) => e.textContent);
  if (history) {
    const op = history.ops[k];
    const out = { ok: 'ok', fail: 'failed', info: 'no reply' }[op.outcome];
    const word = { get: 'get', put: 'put', append: 'append', cas: 'cas' }[op.op];
    if (!info.startsWith(`c${op.client + 1} ${word} ${op.key}`) || !info.includes(out) || !info.includes(`sent at ${pageSecs(us(op.invoke_ns))}`)) {
      problems.push(`hovering operation ${k} shows "${info}", history.json has ${JSON.stringify(op)}`);
    }
    await bar.click();
    const t = await slider(page);
    if (t !== us(op.invoke_ns)) problems.push(`clicking operation ${k} moved the cursor to ${t} µs, not to its invocation ${us(op.invoke_ns)} µs`);
  } else if (!/^c\d+ \w+ /.test(info)) {
    problems.push(`hovering an operation shows "${info}"`);
  }
  // The cursor line sits at the step-through's instant.
  const t = await slider(page);
  const cursor = await page.$eval('#ops-timeline .ops-cursor', (l) => Number(l.getAttribute('x1')));
  const zoom = await page.$eval('#ops-zoom', (s) => Number(s.value));
  const span = zoom > 0 ? zoom : data.end;
  const a0 = Math.max(0, Math.min(data.end - span, t - span / 2));
  const x = 34 + (t - a0) / span * (1000 - 34);
  if (Math.abs(cursor - x) > 0.5) problems.push(`the timeline's cursor is at x ${cursor}, the instant ${t} µs is at ${x}`);
  // Moving the step-through moves the cursor's instant with it.
  await page.click('#step-next-op');
  const t2 = await slider(page);
  const shown = await page.$eval('#ops-timeline .ops-cursor', (l) => Number(l.getAttribute('x1')));
  const a2 = Math.max(0, Math.min(data.end - span, t2 - span / 2));
  if (Math.abs(shown - (34 + (t2 - a2) / span * (1000 - 34))) > 0.5) problems.push('after "next client operation" the timeline cursor did not follow');
  if (data.clients.cx) {
    await page.click('#ops-cx');
    const ringed = await page.$$eval('#ops-timeline .op-cx', (r) => r.length);
    if (ringed !== data.clients.cx.ops.length) problems.push(`the counterexample has ${data.clients.cx.ops.length} operations, the timeline rings ${ringed}`);
    const why = await page.$eval('#ops-why', (e) => e.textContent);
    if (!why.includes('cannot all have happened')) problems.push(`the counterexample is not told in words: "${why.slice(0, 100)}"`);
  }
  const box = await page.$('#ops-timeline');
  await box.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, `${name}-ops.png`), fullPage: false });
}

/** The network and the nodes' states as the stage draws them at instant t (µs). */
function drawnStage(page) {
  return page.$eval('#stage', (svg) => ({
    sides: Array.from(svg.querySelectorAll('.st-cut .st-side')).map((g) => ({
      fault: Number(g.parentNode.getAttribute('data-fault')),
      side: Number(g.getAttribute('data-side')),
      nodes: g.getAttribute('data-nodes'),
      halos: Array.from(g.querySelectorAll('.st-halo')).map((h) => Number(h.getAttribute('data-node'))),
    })),
    cutLines: svg.querySelectorAll('.st-cut .st-cut-line').length,
    oneway: Array.from(svg.querySelectorAll('.st-oneway-arrow')).map((a) => `${a.getAttribute('data-from')}>${a.getAttribute('data-to')}`).sort(),
    states: Array.from(svg.querySelectorAll('g.st-node')).map((g) => ({
      node: Number(g.getAttribute('data-node')),
      state: g.getAttribute('data-state'),
      cross: g.querySelector('.st-crash-mark').getAttribute('display'),
      pause: g.querySelector('.st-pause-mark').getAttribute('display'),
    })),
  }));
}

/** At the start of each fault (and just inside it), the stage shows the cuts in effect as
 * outcome.json records them and every node crashed or paused as recording.json has it.
 * Returns how many partitions, one-way cuts and crashed nodes it checked. */
async function checkStage(page, dir, data, problems, name) {
  const rec = readJson(dir, 'recording.json');
  const outcome = readJson(dir, 'outcome.json');
  const seen = { sides: 0, oneway: 0, crashed: 0, paused: 0 };
  const instants = [...new Set(outcome.faults.flatMap((f) => [us(f.start), us(f.start) + 1]))]
    .filter((t) => t <= data.end).sort((a, b) => a - b).slice(0, 24);
  for (const t of instants) {
    await page.$eval('#step-slider', (e, v) => { e.value = String(v); e.dispatchEvent(new Event('input')); }, t);
    const got = await drawnStage(page);
    // The cuts in effect at t, from outcome.json (a window [start, end)).
    const active = outcome.faults.filter((f) => us(f.start) <= t && (f.end === null ? data.end + 1 : us(f.end)) > t && f.effect.cut);
    const wantSides = active.filter((f) => f.effect.cut.groups)
      .flatMap((f) => f.effect.cut.groups.map((g, k) => `${k}:${g.join(',')}`)).sort();
    const gotSides = got.sides.map((x) => `${x.side}:${x.nodes}`).sort();
    if (JSON.stringify(gotSides) !== JSON.stringify(wantSides)) {
      problems.push(`at ${t} µs the stage shows partition sides ${JSON.stringify(gotSides)}, outcome.json has ${JSON.stringify(wantSides)}`);
    }
    for (const x of got.sides) {
      if (x.halos.join(',') !== x.nodes) problems.push(`at ${t} µs side ${x.side} rings nodes ${x.halos} but names ${x.nodes}`);
    }
    if (wantSides.length && got.cutLines === 0) problems.push(`at ${t} µs a partition is in effect and no cut line is drawn`);
    seen.sides += wantSides.length ? 1 : 0;
    const wantOneway = active.filter((f) => f.effect.cut.one_way)
      .flatMap((f) => f.effect.cut.one_way.from.flatMap((a) => f.effect.cut.one_way.to.filter((b) => b !== a).map((b) => `${a}>${b}`))).sort();
    if (JSON.stringify(got.oneway) !== JSON.stringify(wantOneway)) {
      problems.push(`at ${t} µs the stage shows one-way arrows ${JSON.stringify(got.oneway)}, outcome.json has ${JSON.stringify(wantOneway)}`);
    }
    seen.oneway += wantOneway.length ? 1 : 0;
    // Every node's state as recording.json's lifecycle has it at t.
    rec.nodes.forEach((n, i) => {
      let state = 'up';
      for (const e of rec.lifecycle) {
        if (e.node !== i || us(e.t) > t) continue;
        state = e.event === 'crash' ? 'crashed' : e.event === 'pause' ? 'paused' : 'up';
      }
      const g = got.states.find((x) => x.node === i);
      if (!g) { problems.push(`the stage has no node ${i}`); return; }
      if (g.state !== state) problems.push(`at ${t} µs the stage shows ${n.name} ${g.state}, recording.json says ${state}`);
      if ((g.cross === 'inline') !== (state === 'crashed')) problems.push(`at ${t} µs ${n.name}'s crash mark is ${g.cross} while it is ${state}`);
      if ((g.pause === 'inline') !== (state === 'paused')) problems.push(`at ${t} µs ${n.name}'s pause mark is ${g.pause} while it is ${state}`);
      if (state === 'crashed') seen.crashed += 1;
      if (state === 'paused') seen.paused += 1;
    });
  }
  // The lessons the examples are there for: these must have been seen.
  if (name.startsWith('raft-minority-partition') && seen.sides === 0) problems.push('the partition of raft-minority-partition was never drawn as sides');
  if (name.startsWith('raft-leader-crash') && seen.crashed === 0) problems.push('the crashed leader of raft-leader-crash was never shown crashed');
  if (name.startsWith('gossip-partition-heal') && seen.oneway === 0) problems.push('the one-way cut of gossip-partition-heal was never drawn');
  // A screenshot of the stage at the first fault, where the lesson is.
  if (outcome.faults.length) {
    const t = us(outcome.faults[0].start);
    await page.$eval('#step-slider', (e, v) => { e.value = String(v); e.dispatchEvent(new Event('input')); }, t);
    await page.locator('#step').screenshot({ path: join(shots, `${name}-fault.png`) });
  }
  return seen;
}
