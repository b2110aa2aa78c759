// The per-server panel of an eightfold report for servers without a log: at the
// step-through's instant, which version of each key each quorum-store replica holds (the
// newest solid, stale ones pale with how many versions behind they are) and the hinted
// handoffs it holds for replicas it could not reach; or which values each gossip peer holds
// and which it lacks. Rebuilt from the step-through's data (see step.rs) and redrawn on
// every instant it shows ('step-render' on the stage). Nothing is sampled: each figure is
// the recorded value in force at the instant; a quorum store's versions are recorded only
// inside the recorded window, and the panel says so outside it.
(function () {
  'use strict';
  var R = window.eightfoldReport;
  var box = document.getElementById('servers-state');
  var stage = document.getElementById('stage');
  var slider = document.getElementById('step-slider');
  if (!R || !box || !stage || !slider) { return; }
  var D = R.data, el = R.el, upto = R.upto, byTime = R.byTime;
  var P = D.peers;
  if (!P) { return; }
  var NS = stage.namespaceURI;
  var N = D.nodes.length;
  var quorum = !!P.versions;
  var NEWEST = '#228833', STALE = '#F4B183', HELD = '#4477AA';

  function split(list) {
    var out = [];
    for (var i = 0; i < N; i++) { out.push([]); }
    (list || []).forEach(function (x) { out[x[1]].push(x); });
    out.forEach(function (a) { a.sort(byTime); });
    return out;
  }
  function name(i) { return D.nodes[i][0]; }
  function keyName(k) { return 'k' + (k + 1); }
  function secs(us) { return (us / 1e6).toFixed(6).replace(/(\.\d{3})(\d{3})$/, '$1\u2009$2') + ' s'; }
  function stampText(stamp, by) { return (stamp / 1e9).toFixed(9) + ' s on ' + name(by) + '\u2019s clock'; }

  var life = split(D.life);
  var servers = [];
  for (var i = 0; i < N; i++) { if (D.nodes[i][1] === 's') { servers.push(i); } }

  // Server n at instant t: crashed or not, and since when its current incarnation runs (a
  // start empties it; what it recovered is announced at the start's instant).
  function lifeAt(n, t) {
    var k = upto(life[n], t);
    var since = -1;
    for (var j = k; j >= 0; j--) { if (life[n][j][2] === 0) { since = life[n][j][0]; break; } }
    return { down: k >= 0 && life[n][k][2] === 1, since: since };
  }

  var rows = [];
  function row(n, height, label) {
    var div = document.createElement('div');
    div.className = 'srv';
    div.setAttribute('data-node', String(n));
    var svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 1000 ' + height);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', name(n) + ': ' + label);
    div.appendChild(svg);
    box.appendChild(div);
    rows[n] = { div: div, svg: svg };
  }
  function clear(svg) { while (svg.firstChild) { svg.removeChild(svg.firstChild); } }
  var note = document.createElement('p');
  note.className = 'srv-note';

  if (quorum) {
    var versions = split(P.versions), hints = split(P.hints);
    // Every key seen, and every version of each key seen, oldest first: a version's number
    // is its place in that order.
    var keys = [], seen = {};
    P.versions.concat(P.hints.filter(function (h) { return h.length > 4; }).map(function (h) { return [h[0], h[1], h[3], h[4], h[5]]; }))
      .forEach(function (v) {
        var k = v[2];
        if (!seen[k]) { seen[k] = {}; keys.push(k); }
        seen[k][v[3] + ':' + v[4]] = [v[3], v[4]];
      });
    keys.sort(function (a, b) { return a - b; });
    var rank = {};
    keys.forEach(function (k) {
      var vs = Object.keys(seen[k]).map(function (x) { return seen[k][x]; });
      vs.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
      rank[k] = {};
      vs.forEach(function (v, j) { rank[k][v[0] + ':' + v[1]] = j + 1; });
    });
    var LEFT = 110, CW = Math.max(40, Math.min(80, Math.floor((1000 - LEFT) / Math.max(keys.length, 1))));
    var head = document.createElementNS(NS, 'svg');
    head.setAttribute('viewBox', '0 0 1000 22');
    head.setAttribute('class', 'srv-head');
    var headDiv = document.createElement('div');
    headDiv.className = 'srv-keys';
    headDiv.appendChild(head);
    box.appendChild(headDiv);
    el('text', { x: 6, y: 16, 'class': 'srv-sub' }, head, 'key \u2192');
    keys.forEach(function (k, j) {
      el('text', { x: LEFT + j * CW + CW / 2, y: 16, 'text-anchor': 'middle', 'class': 'srv-name' }, head, keyName(k));
    });
    servers.forEach(function (n) { row(n, 52, 'the version of each key it holds, and its hints'); });
    box.appendChild(note);

    // What replica n holds at t: key -> [stamp, coordinator], and its hints waiting.
    var replicaAt = function (n, t) {
      var l = lifeAt(n, t);
      var s = { n: n, down: l.down, store: {}, hints: {} };
      var v = versions[n], h = hints[n];
      for (var j = 0; j < v.length && v[j][0] <= t; j++) {
        if (v[j][0] >= l.since) { s.store[v[j][2]] = [v[j][3], v[j][4]]; }
      }
      for (j = 0; j < h.length && h[j][0] <= t; j++) {
        if (h[j][0] < l.since) { continue; }
        var id = h[j][2] + ':' + h[j][3];
        if (h[j].length > 4) { s.hints[id] = [h[j][2], h[j][3], h[j][4], h[j][5]]; } else { delete s.hints[id]; }
      }
      return s;
    };
    var newer = function (a, b) { return !b || a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]); };

    var render = function () {
      var t = Number(slider.value);
      var inWindow = t >= D.window[0] && t <= D.window[1];
      var states = servers.map(function (n) { return replicaAt(n, t); });
      var newest = {};
      states.forEach(function (s) {
        if (s.down) { return; }
        keys.forEach(function (k) { if (s.store[k] && newer(s.store[k], newest[k])) { newest[k] = s.store[k]; } });
      });
      states.forEach(function (s) {
        var n = s.n, svg = rows[n].svg, div = rows[n].div;
        clear(svg);
        el('rect', { x: 0, y: 0, width: 1000, height: 52, fill: s.down ? '#e6e6e6' : '#fbfbfb' }, svg);
        el('text', { x: 6, y: 20, 'class': 'srv-name' }, svg, name(n));
        var vattr = [], hattr = [];
        if (!inWindow) {
          el('text', { x: LEFT, y: 20, 'class': 'srv-faint' }, svg, 'versions and hints are recorded only inside the recorded window');
        } else if (s.down) {
          el('text', { x: LEFT, y: 20, 'class': 'srv-faint' }, svg, 'crashed: what it stored comes back from its disk when it restarts');
        } else {
          keys.forEach(function (k, j) {
            var x = LEFT + j * CW, v = s.store[k];
            if (!v) {
              el('text', { x: x + CW / 2, y: 20, 'text-anchor': 'middle', 'class': 'srv-faint' }, svg, '\u2013');
              return;
            }
            var r = rank[k][v[0] + ':' + v[1]], top = rank[k][newest[k][0] + ':' + newest[k][1]];
            var fresh = r === top;
            var cell = el('rect', { x: x + 2, y: 5, width: CW - 4, height: 20, fill: fresh ? NEWEST : STALE,
              stroke: fresh ? '#1a5c26' : '#A0441A', 'stroke-dasharray': fresh ? 'none' : '3 2', 'class': fresh ? 'kv-cell kv-newest' : 'kv-cell kv-stale' }, svg);
            el('title', {}, cell, name(n) + ' holds ' + keyName(k) + ' version ' + r + ' (stamped ' + stampText(v[0], v[1]) + ')' +
              (fresh ? ', the newest any server holds now' : ', ' + (top - r) + ' behind the newest any server holds now (version ' + top + ')'));
            el('text', { x: x + CW / 2, y: 19, 'text-anchor': 'middle', 'class': fresh ? 'kv-text kv-text-new' : 'kv-text' }, svg,
              'v' + r + (fresh ? '' : ' \u2212' + (top - r)));
            vattr.push(k + ':' + v[0] + ':' + v[1]);
          });
          var hs = Object.keys(s.hints).map(function (id) { return s.hints[id]; });
          hs.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
          var words = hs.map(function (h) { return keyName(h[1]) + ' v' + rank[h[1]][h[2] + ':' + h[3]] + ' for ' + name(h[0]); });
          hs.forEach(function (h) { hattr.push(h[0] + ':' + h[1] + ':' + h[2] + ':' + h[3]); });
          var text = hs.length === 0 ? 'no hints waiting' : 'hints waiting (' + hs.length + '): ' +
            (words.length > 8 ? words.slice(0, 8).join(', ') + ', \u2026 ' + (words.length - 8) + ' more' : words.join(', '));
          el('text', { x: LEFT, y: 42, 'class': hs.length ? 'srv-sub kv-hints' : 'srv-faint' }, svg, text);
        }
        div.setAttribute('data-versions', vattr.join(' '));
        div.setAttribute('data-hints', hattr.join(' '));
      });
      note.textContent = inWindow ? '' : 'Versions and hints are recorded only inside the recorded window (' +
        secs(D.window[0]) + ' to ' + secs(D.window[1]) + '); run eightfold chart with --window to record another.';
    };
    stage.addEventListener('step-render', render);
    render();
    return;
  }

  // Gossip: the values each peer holds (rows name a value by its position in P.values).
  var learned = split(P.learned.map(function (x) { return [x[0], x[1], P.values[x[2]]]; }));
  var first = {};
  learned.forEach(function (rows) {
    rows.forEach(function (x) { if (!(x[2] in first) || x[0] < first[x[2]]) { first[x[2]] = x[0]; } });
  });
  var order = Object.keys(first).map(Number);
  order.sort(function (a, b) { return first[a] - first[b] || a - b; });
  servers.forEach(function (n) { row(n, 40, 'the values it holds'); });
  box.appendChild(note);
  var GL = 110;

  function render() {
    var t = Number(slider.value);
    var known = order.filter(function (v) { return first[v] <= t; });
    var cw = Math.max(2, Math.min(12, (1000 - GL - 10) / Math.max(known.length, 1)));
    servers.forEach(function (n) {
      var svg = rows[n].svg, div = rows[n].div, l = lifeAt(n, t);
      clear(svg);
      el('rect', { x: 0, y: 0, width: 1000, height: 40, fill: l.down ? '#e6e6e6' : '#fbfbfb' }, svg);
      el('text', { x: 6, y: 17, 'class': 'srv-name' }, svg, name(n));
      var held = {}, list = learned[n], count = 0;
      for (var j = 0; j < list.length && list[j][0] <= t; j++) {
        if (list[j][0] >= l.since && !held[list[j][2]]) { held[list[j][2]] = true; count += 1; }
      }
      if (l.down) {
        el('text', { x: GL, y: 17, 'class': 'srv-faint' }, svg, 'crashed: it holds nothing until it restarts and learns again');
        div.setAttribute('data-values', '');
        return;
      }
      known.forEach(function (v, k) {
        var x = GL + k * cw, has = !!held[v];
        var c = el('rect', { x: x + 0.5, y: 5, width: Math.max(1, cw - 1), height: 14, fill: has ? HELD : '#fff',
          stroke: has ? HELD : '#999', 'stroke-width': 0.6, 'class': has ? 'g-held' : 'g-lacks' }, svg);
        el('title', {}, c, name(n) + (has ? ' holds' : ' lacks') + ' value ' + v + ' (first learned anywhere at ' + secs(first[v]) + ')');
      });
      el('text', { x: GL, y: 34, 'class': count < known.length ? 'srv-sub srv-behind' : 'srv-sub' }, svg,
        'holds ' + count + ' of the ' + known.length + ' values learned anywhere so far' + (count < known.length ? ', lacks ' + (known.length - count) : ''));
      div.setAttribute('data-values', Object.keys(held).map(Number).sort(function (a, b) { return a - b; }).join(' '));
    });
    note.textContent = '';
  }
  stage.addEventListener('step-render', render);
  render();
}());
