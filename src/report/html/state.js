// The per-server state panel of an eightfold report: at the step-through's instant, each
// server's log entry by entry (coloured and numbered by term, the commit point marked,
// applied entries dotted, entries just overwritten struck through), whom it voted for, its
// election timer running down and, for a leader, nextIndex/matchIndex per follower; for a
// Multi-Paxos acceptor, its slots coloured by the ballot round they were accepted in, the
// chosen prefix marked, and the ballot it has promised. Rebuilt
// from the same embedded data as the step-through (see step.rs) and redrawn on every instant
// it shows ('step-render' on the stage). Nothing is sampled: each figure is the recorded
// value in force at the instant, and what is recorded only inside the recorded window says
// so outside it.
(function () {
  'use strict';
  var R = window.eightfoldReport;
  var box = document.getElementById('servers-state');
  var stage = document.getElementById('stage');
  var slider = document.getElementById('step-slider');
  if (!R || !box || !stage || !slider) { return; }
  var D = R.data, el = R.el, upto = R.upto, byTime = R.byTime;
  var S = D.state, W = D.words;
  if (!S || !W) { return; }
  var NS = stage.namespaceURI;
  var N = D.nodes.length;
  // Paul Tol's "bright" qualitative palette (safe for the common colour-blindnesses) without
  // its grey, which is the colour of a position of no known term; every block also carries
  // its term's number, so no reader depends on the colour alone.
  var TERMS = ['#4477AA', '#EE6677', '#228833', '#CCBB44', '#66CCEE', '#AA3377'];
  var STRUCK = '#C00000';
  // How long after a truncation its discarded entries stay drawn (µs), labelled with when.
  var HOLD = 100000;
  var perEntry = !!S.runs;
  var hasTimers = S.deadlines.length > 0;
  var hasProgress = S.progress.length > 0;
  // Multi-Paxos announces no votes (its acceptors promise ballots): no vote line at all,
  // a promise line instead; and its acceptors' slots are not compared with the leader's.
  var hasVotes = S.votes.length > 0;
  var hasPromises = !!S.promises && S.promises.length > 0;
  var compare = !!W.compare;

  function split(list) {
    var out = [];
    for (var i = 0; i < N; i++) { out.push([]); }
    (list || []).forEach(function (x) { out[x[1]].push(x); });
    // Stable: changes of one instant keep their recorded order.
    out.forEach(function (a) { a.sort(byTime); });
    return out;
  }
  function name(i) { return D.nodes[i][0]; }
  function termColour(term) { return TERMS[(term - 1) % TERMS.length]; }
  function ms(us) { return (us / 1000).toFixed(us < 10000 ? 1 : 0) + ' ms'; }
  function secs(us) { return (us / 1e6).toFixed(6).replace(/(\.\d{3})(\d{3})$/, '$1\u2009$2') + ' s'; }

  var roles = split(D.roles), life = split(D.life), prog = split(D.log);
  var runs = split(S.runs), applied = split(S.applied), deadlines = split(S.deadlines);
  var progress = split(S.progress), votes = split(S.votes), cuts = split(D.truncations);
  var promises = split(S.promises);
  var servers = [];
  for (var i = 0; i < N; i++) { if (D.nodes[i][1] === 's') { servers.push(i); } }
  var leaderCode = D.roleNames.indexOf('leader');

  // The runs of terms of node n's log after its first k recorded changes: [[start, term]]
  // (a run of term 0 holds nothing known: a snapshot, a cut, slots not accepted).
  function replay(n, k) {
    var out = [];
    for (var j = 0; j < k; j++) {
      var r = runs[n][j];
      while (out.length && out[out.length - 1][0] >= r[2]) { out.pop(); }
      out.push([r[2], r[3]]);
    }
    return out;
  }
  // The term of position i in a log of these runs; 0 inside a snapshot (Paxos: or where
  // nothing was accepted).
  function termOf(rs, i) {
    var term = 0;
    for (var k = 0; k < rs.length && rs[k][0] <= i; k++) { term = rs[k][1]; }
    return term;
  }

  // Everything the panel shows of server n at instant t.
  function stateAt(n, t) {
    var k = upto(life[n], t);
    var down = k >= 0 && life[n][k][2] === 1;
    var since = -1;
    for (var j = k; j >= 0; j--) { if (life[n][j][2] === 0 || life[n][j][2] === 1) { since = life[n][j][0]; break; } }
    var ri = upto(roles[n], t);
    var role = ri >= 0 ? roles[n][ri] : null;
    var pi = upto(prog[n], t);
    var p = pi >= 0 ? prog[n][pi] : null;
    var q = prog[n][pi + 1];
    var moving = q && q.length > 5 && t >= q[0] - q[5] ? q : null;
    var s = { n: n, down: down, role: role, last: p ? p[2] : 0, commit: p ? p[4] : 0, moving: moving,
      runs: perEntry ? replay(n, upto(runs[n], t) + 1) : null, inWindow: t >= D.window[0] && t <= D.window[1] };
    s.leader = !!role && role[2] === leaderCode && !down;
    var pr = upto(promises[n], t);
    s.promised = pr >= 0 ? promises[n][pr] : null;
    // Whom it voted for in its current term (votes are kept across restarts, as on disk).
    s.voted = null;
    if (role) {
      for (j = upto(votes[n], t); j >= 0; j--) {
        if (votes[n][j][2] === role[3]) { s.voted = votes[n][j][3]; break; }
        if (votes[n][j][2] < role[3]) { break; }
      }
    }
    if (s.inWindow) {
      var a = upto(applied[n], t);
      s.applied = a >= 0 ? applied[n][a][2] : null;
      var d = upto(deadlines[n], t);
      s.deadline = d >= 0 && deadlines[n][d][0] >= since ? deadlines[n][d] : null;
      if (s.leader && hasProgress) {
        s.progress = {};
        for (j = upto(progress[n], t); j >= 0 && progress[n][j][0] >= role[0]; j--) {
          var x = progress[n][j];
          if (!s.progress[x[2]]) { s.progress[x[2]] = x; }
        }
      }
    }
    // Entries discarded in the last moments: [t, from, last before, runs before].
    s.cut = null;
    var c = upto(cuts[n], t);
    if (perEntry && c >= 0 && t < cuts[n][c][0] + HOLD) {
      var x2 = cuts[n][c];
      var bi = upto(prog[n], x2[0] - 1);
      var lastBefore = bi >= 0 ? prog[n][bi][2] : 0;
      var at = -1;
      for (j = 0; j < runs[n].length; j++) {
        if (runs[n][j][0] === x2[0] && runs[n][j][2] === x2[2] && runs[n][j][3] === 0) { at = j; break; }
      }
      if (at >= 0 && lastBefore >= x2[2]) { s.cut = { t: x2[0], from: x2[2], last: lastBefore, runs: replay(n, at) }; }
    }
    return s;
  }

  // The first position where server s's log differs from the reference's (0: none).
  function divergence(s, ref) {
    if (!perEntry || !compare || !ref || s === ref) { return 0; }
    var top = Math.min(s.last, ref.last);
    var at = [1];
    s.runs.forEach(function (r) { at.push(r[0]); });
    ref.runs.forEach(function (r) { at.push(r[0]); });
    at.sort(function (a, b) { return a - b; });
    for (var k = 0; k < at.length && at[k] <= top; k++) {
      var a = termOf(s.runs, at[k]), b = termOf(ref.runs, at[k]);
      if (a > 0 && b > 0 && a !== b) { return at[k]; }
    }
    return 0;
  }

  // The columns drawn: stretches of positions around what matters, the rest counted.
  var MAXCOLS = 40;
  function columns(states) {
    var top = 0, want = [];
    states.forEach(function (s) {
      if (s.down) { return; }
      top = Math.max(top, s.last, s.cut ? s.cut.last : 0);
    });
    if (top === 0) { return []; }
    var add = function (a, b) { a = Math.max(1, a); b = Math.min(top, b); if (a <= b) { want.push([a, b]); } };
    add(1, 2);
    add(top - 7, top);
    states.forEach(function (s) {
      if (s.down) { return; }
      add(s.last - 1, s.last);
      add(s.commit - 1, s.commit + 1);
      if (s.diverge) { add(s.diverge - 1, s.diverge + 1); }
      if (s.cut) { add(s.cut.from - 1, s.cut.last); }
    });
    want.sort(function (a, b) { return a[0] - b[0]; });
    var merged = [];
    want.forEach(function (r) {
      var m = merged[merged.length - 1];
      if (m && r[0] <= m[1] + 3) { m[1] = Math.max(m[1], r[1]); } else { merged.push([r[0], r[1]]); }
    });
    // Too many: keep the ends of long stretches (a cut's stretch can be long).
    var count = function () { return merged.reduce(function (a, r) { return a + r[1] - r[0] + 2; }, 0); };
    while (count() > MAXCOLS) {
      var widest = 0;
      merged.forEach(function (r, k) { if (r[1] - r[0] > merged[widest][1] - merged[widest][0]) { widest = k; } });
      var w = merged[widest];
      if (w[1] - w[0] < 6) { break; }
      var keep = Math.max(2, Math.floor((w[1] - w[0] + 1 - (count() - MAXCOLS)) / 2));
      merged.splice(widest, 1, [w[0], w[0] + keep - 1], [w[1] - keep + 1, w[1]]);
    }
    var cols = [], prev = 0;
    merged.forEach(function (r) {
      if (r[0] > prev + 1) { cols.push({ gap: r[0] - prev - 1 }); }
      for (var x = r[0]; x <= r[1]; x++) { cols.push({ index: x }); }
      prev = r[1];
    });
    return cols;
  }

  var LEFT = 250, RIGHT = 1000, ROW = 78;
  var rows = [];
  servers.forEach(function (n) {
    var div = document.createElement('div');
    div.className = 'srv';
    div.setAttribute('data-node', String(n));
    var svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 1000 ' + ROW);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', name(n) + ': its state at this instant');
    div.appendChild(svg);
    box.appendChild(div);
    rows[n] = { div: div, svg: svg };
  });
  var note = document.createElement('p');
  note.className = 'srv-note';
  box.appendChild(note);

  function render() {
    var t = Number(slider.value);
    var states = servers.map(function (n) { return stateAt(n, t); });
    // The reference log for divergence: the leader of the highest term, else the server
    // whose log is the most up to date (the one an election would favour).
    var ref = null;
    states.forEach(function (s) {
      if (s.down) { return; }
      if (s.leader && (!ref || !ref.leader || s.role[3] > ref.role[3])) { ref = s; }
    });
    if (!ref) {
      states.forEach(function (s) {
        if (s.down) { return; }
        var lt = perEntry ? termOf(s.runs, s.last) : 0, rt = ref && perEntry ? termOf(ref.runs, ref.last) : 0;
        if (!ref || lt > rt || (lt === rt && s.last > ref.last)) { ref = s; }
      });
    }
    states.forEach(function (s) { s.diverge = divergence(s, ref); });
    var cols = columns(states);
    var bw = Math.max(8, Math.min(22, Math.floor((RIGHT - LEFT - 4) / Math.max(cols.length, 1))));
    var gapW = Math.max(bw, 58);
    var xs = [], x = LEFT;
    cols.forEach(function (c) { xs.push(x); x += c.gap ? gapW : bw; });
    states.forEach(function (s) { draw(s, t, cols, xs, bw, gapW, s === ref && !s.leader); });
    var outside = !states.every(function (s) { return s.inWindow; });
    var notes = [];
    if (outside && (hasTimers || hasProgress)) {
      notes.push('Election timers, applied entries and a leader\u2019s nextIndex/matchIndex are recorded only inside the recorded window (' +
        secs(D.window[0]) + ' to ' + secs(D.window[1]) + '); run eightfold chart with --window to record another.');
    }
    if (states.some(function (s) { return s.moving; })) {
      notes.push('\u2248: outside the recorded window ' + W.thinned + ' recorded once per ' + (D.thin / 1000) + ' ms; the log shown is the last known, the range says where it was heading.');
    }
    note.textContent = notes.join(' ');
  }

  function draw(s, t, cols, xs, bw, gapW, isRef) {
    var n = s.n, svg = rows[n].svg, div = rows[n].div;
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var roleName = s.down ? 'crashed' : s.role ? D.roleNames[s.role[2]] : '';
    el('rect', { x: 0, y: 0, width: 1000, height: ROW, fill: s.down ? '#e6e6e6' : s.leader ? '#eef8f3' : '#fbfbfb' }, svg);
    el('text', { x: 6, y: 18, 'class': 'srv-name' }, svg, name(n));
    el('text', { x: 6, y: 34, 'class': 'srv-sub' }, svg, roleName + (s.role && !s.down ? ', ' + W.round + ' ' + s.role[3] : ''));
    var attrs = { 'data-last': '', 'data-commit': '', 'data-voted': '', 'data-terms': '', 'data-progress': '', 'data-timer': '', 'data-cut': '', 'data-promised': '' };
    if (hasPromises && !s.down && s.promised) {
      var p = s.promised;
      el('text', { x: 6, y: 52, 'class': 'srv-sub' }, svg, p[2] > 0 ? 'promised: ballot ' + p[2] + '.' + name(p[3]) : 'promised: no ballot yet');
      attrs['data-promised'] = p[2] > 0 ? p[2] + '.' + name(p[3]) : '0';
    }
    if (hasVotes && !s.down && s.role) {
      var v = s.voted === null ? 'no vote in ' + W.round + ' ' + s.role[3] : 'voted for ' + name(s.voted) + (s.voted === n ? ' (itself)' : '');
      el('text', { x: 100, y: 18, 'class': 'srv-sub' }, svg, v);
      attrs['data-voted'] = s.voted === null ? '' : name(s.voted);
    }
    if (hasTimers && !s.down) {
      var tx = 100, ty = 26, tw = 130;
      if (!s.inWindow) {
        el('text', { x: tx, y: ty + 10, 'class': 'srv-faint' }, svg, 'timer: not recorded here');
      } else if (s.leader || (s.deadline && s.deadline[2] < 0)) {
        el('text', { x: tx, y: ty + 10, 'class': 'srv-faint' }, svg, 'no election timer (leader)');
        attrs['data-timer'] = 'none';
      } else if (s.deadline) {
        var left = Math.max(0, s.deadline[2] - t), whole = Math.max(1, s.deadline[2] - s.deadline[0]);
        el('rect', { x: tx, y: ty, width: tw, height: 9, fill: '#fff', stroke: '#999' }, svg);
        el('rect', { x: tx, y: ty, width: tw * Math.min(1, left / whole), height: 9, fill: left / whole < 0.25 ? '#D55E00' : '#E69F00', 'class': 'srv-timer' }, svg);
        el('text', { x: tx, y: ty + 21, 'class': 'srv-faint' }, svg, left > 0 ? 'election timeout in ' + ms(left) : 'election timeout now');
        attrs['data-timer'] = String(s.deadline[2]);
      }
    }
    if (s.down) {
      el('text', { x: LEFT, y: 24, 'class': 'srv-faint' }, svg, 'crashed: its state comes back from its disk when it restarts');
    } else if (s.last > 0 || s.moving || s.cut) {
      drawLog(s, svg, cols, xs, bw, gapW, attrs, isRef);
    } else if (s.role) {
      el('text', { x: LEFT, y: 24, 'class': 'srv-faint' }, svg, 'empty ' + W.log);
    }
    if (s.progress) {
      var parts = [];
      var peers = Object.keys(s.progress).map(Number).sort(function (a, b) { return a - b; });
      var y = ROW - 6, px = 6;
      el('text', { x: px, y: y, 'class': 'srv-sub' }, svg, 'nextIndex / matchIndex:');
      px = 160;
      peers.forEach(function (p) {
        var g = s.progress[p];
        parts.push(name(p) + ':' + g[3] + '/' + g[4]);
        var behind = g[4] < s.last;
        el('text', { x: px, y: y, 'class': behind ? 'srv-sub srv-behind' : 'srv-sub' }, svg, name(p) + ' ' + g[3] + ' / ' + g[4]);
        px += 150;
      });
      attrs['data-progress'] = parts.join(' ');
    }
    for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) { div.setAttribute(k, attrs[k]); } }
  }

  function drawLog(s, svg, cols, xs, bw, gapW, attrs, isRef) {
    var Y = 6, H = 20, terms = [];
    var last = s.last, commit = s.commit;
    var mark = s.moving ? ' \u2248' : '';
    attrs['data-last'] = s.moving && s.moving[2] !== last ? last + '\u2013' + s.moving[2] : String(last);
    attrs['data-commit'] = s.moving && s.moving[4] !== commit ? commit + '\u2013' + s.moving[4] : String(commit);
    cols.forEach(function (c, k) {
      var x = xs[k];
      if (c.gap) {
        var from = k > 0 && cols[k - 1].index ? cols[k - 1].index : 0;
        if (from < last) {
          el('text', { x: x + gapW / 2, y: Y + 14, 'text-anchor': 'middle', 'class': 'srv-gap' }, svg, '\u2026 ' + Math.min(c.gap, last - from) + ' \u2026');
        }
        return;
      }
      var i = c.index;
      if (i > last) { return; }
      var term = perEntry ? termOf(s.runs, i) : 0;
      var committed = i <= commit;
      var fill = perEntry ? (term > 0 ? termColour(term) : '#d0d0d0') : (committed ? '#4477AA' : '#BBBBBB');
      var r = el('rect', { x: x + 1, y: Y, width: bw - 2, height: H, fill: fill, 'fill-opacity': committed ? 1 : 0.35,
        stroke: committed ? '#333' : '#666', 'stroke-dasharray': committed ? 'none' : '2 2', 'stroke-width': 0.8, 'class': 'srv-entry' }, svg);
      var tip = el('title', {}, r);
      var none = compare ? ', in a snapshot' : ', no ' + W.round + ' known (nothing accepted here, or inside a snapshot)';
      tip.textContent = name(s.n) + ' ' + W.position + ' ' + i + (perEntry ? (term > 0 ? ', ' + (compare ? '' : 'accepted in ') + W.round + ' ' + term : none) : '') +
        (committed ? (compare ? ', committed' : ', chosen') : (compare ? ', not committed' : ', not chosen')) + (s.applied !== null && s.applied !== undefined && i <= s.applied ? ', applied' : '') +
        (s.diverge && i >= s.diverge ? ', differs from the leader\u2019s ' + W.log : '');
      if (perEntry && bw >= 12) {
        el('text', { x: x + bw / 2, y: Y + 14, 'text-anchor': 'middle', 'class': committed ? 'srv-term srv-term-c' : 'srv-term' }, svg, term > 0 ? String(term) : compare ? 's' : '\u00b7');
      }
      if (s.applied !== null && s.applied !== undefined && i <= s.applied) {
        el('circle', { cx: x + bw / 2, cy: Y + H + 4, r: 2, fill: '#111', 'class': 'srv-applied' }, svg);
      }
      if (s.diverge && i >= s.diverge) {
        el('line', { x1: x + 1, y1: Y - 3, x2: x + bw - 1, y2: Y - 3, stroke: STRUCK, 'stroke-width': 2 }, svg);
      }
      terms.push(i + ':' + term);
    });
    attrs['data-terms'] = perEntry ? terms.join(' ') : '';
    // The commit point: a bar after the last committed position shown.
    var ck = -1;
    cols.forEach(function (c, k) { if (c.index && c.index <= commit) { ck = k; } });
    if (ck >= 0 && commit > 0) {
      var cx = xs[ck] + (cols[ck].gap ? gapW : bw);
      el('line', { x1: cx, y1: Y - 4, x2: cx, y2: Y + H + 4, stroke: '#111', 'stroke-width': 3, 'class': 'srv-commit' }, svg);
    }
    var lx = 0;
    cols.forEach(function (c, k) { if (c.index && c.index <= last) { lx = xs[k] + bw; } });
    var label = W.stageLog + ' ' + attrs['data-last'] + ', ' + W.stageCommit + ' ' + attrs['data-commit'] + mark +
      (s.diverge ? ', differs from the leader from ' + W.position + ' ' + s.diverge : '') + (isRef && perEntry && compare ? ' (the most up-to-date ' + W.log + ')' : '');
    el('text', { x: LEFT, y: Y + H + 32, 'class': 'srv-sub' }, svg, label);
    if (s.cut) {
      // The entries just discarded, struck through, under the positions they held.
      var cy = Y + H + 8, parts = [];
      cols.forEach(function (c, k) {
        if (!c.index || c.index < s.cut.from || c.index > s.cut.last) { return; }
        var term = termOf(s.cut.runs, c.index), x = xs[k];
        el('rect', { x: x + 1, y: cy, width: bw - 2, height: 10, fill: term > 0 ? termColour(term) : '#d0d0d0', 'fill-opacity': 0.5, stroke: STRUCK, 'class': 'srv-cut' }, svg);
        el('line', { x1: x, y1: cy + 10, x2: x + bw, y2: cy, stroke: STRUCK, 'stroke-width': 1.5 }, svg);
        parts.push(c.index + ':' + term);
      });
      attrs['data-cut'] = s.cut.from + '-' + s.cut.last + ' ' + parts.join(' ');
      el('text', { x: Math.min(lx + 8, 860), y: Y + 14, 'class': 'srv-cut-text' }, svg,
        (s.cut.last - s.cut.from + 1) + ' discarded at ' + secs(s.cut.t));
    }
  }

  stage.addEventListener('step-render', render);
  render();
}());
