// The step-through view of an eightfold report: the cluster at any instant of the run,
// rebuilt from the recording embedded in the page (see step.rs). Plain DOM and SVG; nothing
// is fetched.
(function () {
  'use strict';
  var dataEl = document.getElementById('step-data');
  var stage = document.getElementById('stage');
  if (!dataEl || !stage) { return; }
  var D = JSON.parse(dataEl.textContent);
  var NS = stage.namespaceURI;
  var N = D.nodes.length;
  var LIFE = ['started', 'crashed', 'paused', 'resumed'];
  var OUT = ['ok', 'failed (not applied)', 'no reply (outcome unknown)'];
  var OUT_COLOURS = ['#0072B2', '#D55E00', '#E69F00'];
  var RING = '#C00000';
  // The protocol's words for its rounds, log and commit; null for protocols without a leader
  // or a log (the quorum store, gossip), whose page shows no role, round or log at all.
  var words = D.words;

  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) { e.setAttribute(k, attrs[k]); } }
    if (text !== undefined) { e.textContent = text; }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function byTime(a, b) { return a[0] - b[0]; }
  // Index of the last entry of `a` (sorted by [0]) at or before t, or -1.
  function upto(a, t) {
    var lo = 0, hi = a.length;
    while (lo < hi) { var m = (lo + hi) >> 1; if (a[m][0] <= t) { lo = m + 1; } else { hi = m; } }
    return lo - 1;
  }
  // What the per-server panel (state.js, loaded after this script) shares with it: the
  // embedded data, parsed once, and the helpers above. It reads the data, never changes it.
  window.eightfoldReport = { data: D, el: el, upto: upto, byTime: byTime };
  function secs(us) { return (us / 1e6).toFixed(6).replace(/(\.\d{3})(\d{3})$/, '$1\u2009$2') + ' s'; }
  function name(i) { return D.nodes[i][0]; }
  function isServer(i) { return D.nodes[i][1] === 's'; }

  var roles = [], life = [], prog = [];
  for (var i = 0; i < N; i++) { roles.push([]); life.push([]); prog.push([]); }
  D.roles.forEach(function (r) { roles[r[1]].push(r); });
  D.life.forEach(function (e) { life[e[1]].push(e); });
  D.log.forEach(function (p) { prog[p[1]].push(p); });
  // What each restart read from disk, by node and time: [t, node, snapshot, last, term, commit].
  var recovered = {};
  D.recoveries.forEach(function (r) { recovered[r[1] + '@' + r[0]] = r; });
  for (i = 0; i < N; i++) { roles[i].sort(byTime); life[i].sort(byTime); prog[i].sort(byTime); }
  var msgs = D.msgs.slice().sort(byTime);
  var longest = 0;
  msgs.forEach(function (m) { longest = Math.max(longest, m[1] - m[0]); });
  var span = Math.max(D.window[1] - D.window[0], 1000);
  var flash = Math.max(Math.round(span / 40), 500);
  var delivered = D.fates.indexOf('delivered');

  // Events: [time, type, index]. 0 role, 1 lifecycle, 2 fault start, 3 fault end, 4 send,
  // 5 message end, 6 log truncation.
  var events = [];
  if (words) { D.roles.forEach(function (r, k) { if (isServer(r[1]) && !(r[0] === 0 && r[3] === 0)) { events.push([r[0], 0, k]); } }); }
  D.life.forEach(function (e, k) { if (e[0] > 0) { events.push([e[0], 1, k]); } });
  D.faults.forEach(function (f, k) { events.push([f[0], 2, k]); if (f[1] < D.end) { events.push([f[1], 3, k]); } });
  msgs.forEach(function (m, k) { events.push([m[0], 4, k]); if (m[1] > m[0]) { events.push([m[1], 5, k]); } });
  D.truncations.forEach(function (x, k) { events.push([x[0], 6, k]); });
  // Client operations (7 sent, 8 answered) and check failures (9).
  var C = D.clients;
  // Rebuilt as [client, sent, answered or null, outcome, text, position].
  var ops = [], sentAt = 0;
  if (C) {
    C.ops.forEach(function (o, k) {
      sentAt += o[1];
      ops.push([o[0], sentAt, o[2] < 0 ? null : sentAt + o[2], o[3], o[4], k]);
    });
  }
  ops.forEach(function (o, k) { events.push([o[1], 7, k]); if (o[2] !== null) { events.push([o[2], 8, k]); } });
  D.checkFails.forEach(function (f, k) { events.push([f[0], 9, k]); });
  events.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]; });
  var times = [];
  events.forEach(function (e) { if (times.length === 0 || times[times.length - 1] !== e[0]) { times.push(e[0]); } });

  function describe(e) {
    var m;
    switch (e[1]) {
      case 0: m = D.roles[e[2]]; return name(m[1]) + ' became ' + D.roleNames[m[2]] + ' (' + words.round + ' ' + m[3] + ')';
      case 1:
        m = D.life[e[2]];
        var r = m[2] === 0 && words ? recovered[m[1] + '@' + m[0]] : null;
        return name(m[1]) + ' ' + (m[2] === 0 && m[0] > 0 ? 'restarted' : LIFE[m[2]]) + (r ? ' and read from its disk: ' + words.stageLog + ' ' + r[3] +
          ' (' + words.roundShort + r[4] + ')' + (r[2] > 0 ? ', snapshot up to ' + r[2] : '') + ', ' + words.stageCommit + ' ' + r[5] : '');
      case 2: return 'fault begins: ' + D.faults[e[2]][2];
      case 3: return 'fault ends: ' + D.faults[e[2]][2];
      case 4: m = msgs[e[2]]; return D.kinds[m[4]] + ' ' + name(m[2]) + '\u2192' + name(m[3]) + ' sent' +
        (m[1] === m[0] && m[5] !== delivered ? ' and lost at once (' + D.fates[m[5]] + ')' : '');
      case 5: m = msgs[e[2]];
        return D.kinds[m[4]] + ' ' + name(m[2]) + '\u2192' + name(m[3]) +
          (m[5] === delivered ? ' arrived' : ' lost (' + D.fates[m[5]] + ')');
      case 7: m = ops[e[2]]; return 'c' + (m[0] + 1) + ' sent ' + m[4].split(' ').slice(0, 2).join(' ');
      case 8: m = ops[e[2]]; return 'c' + (m[0] + 1) + ' got ' + OUT[m[3]] + ': ' + m[4];
      case 9: return 'check failed: ' + D.checkFails[e[2]][1];
      default: m = D.truncations[e[2]];
        return name(m[1]) + ' discarded its ' + words.log + ' from ' + words.position + ' ' + m[2] + ' on' + (m[3] > 0
          ? ' and installed the leader\u2019s snapshot up to ' + m[3]
          : ' (' + words.positions + ' that conflicted with the leader\u2019s ' + words.log + ')');
    }
  }

  // Layout: servers on a ring, clients in a column on the right. The ring's order keeps the
  // sides of the run's first partition together (each side an arc of the ring), so the
  // stage can shade each side as one region with the cut drawn between them.
  var W = 900, H = 440;
  var servers = [], clients = [];
  for (i = 0; i < N; i++) { (isServer(i) ? servers : clients).push(i); }
  var net = D.net || [];
  // True if the servers of every group sit on one arc of the ring in this order.
  var arcs = function (order, groups) {
    return groups.every(function (g) {
      var inG = order.map(function (n) { return g.indexOf(n) >= 0; });
      var changes = 0;
      for (var k = 0; k < inG.length; k++) { if (inG[k] !== inG[(k + 1) % inG.length]) { changes++; } }
      return changes <= 2;
    });
  };
  var firstCut = null;
  net.forEach(function (x) { if (!firstCut && x && x.groups) { firstCut = x.groups; } });
  // The servers in ring order (the state table keeps them in id order).
  var ring = servers.slice();
  if (firstCut && !arcs(ring, firstCut)) {
    ring = [];
    firstCut.forEach(function (g) { g.forEach(function (n) { if (n < N && isServer(n) && ring.indexOf(n) < 0) { ring.push(n); } }); });
    servers.forEach(function (n) { if (ring.indexOf(n) < 0) { ring.push(n); } });
  }
  var pos = [], angle = [];
  var ringR = 150, cx = clients.length ? 320 : W / 2, cy = H / 2;
  var nodeR = Math.max(14, Math.min(32, ringR * Math.sin(Math.PI / Math.max(servers.length, 2)) * 0.75));
  var step0 = 2 * Math.PI / Math.max(ring.length, 1);
  ring.forEach(function (n, k) {
    var a = -Math.PI / 2 + step0 * k;
    angle[n] = a;
    pos[n] = [cx + ringR * Math.cos(a), cy + ringR * Math.sin(a)];
  });
  clients.forEach(function (n, k) {
    pos[n] = [760, clients.length === 1 ? cy : 40 + (H - 80) * k / (clients.length - 1)];
  });
  function radius(n) { return isServer(n) ? nodeR : 13; }

  // The way a message takes from a to b: from a's rim to b's rim (so a message just sent is
  // not hidden under its sender), straight when that passes clear of every other node, else
  // bent around them (a quadratic curve through a control point beside the straight line).
  var routes = {};
  function bez(r, f) {
    var u = 1 - f;
    return [u * u * r[0][0] + 2 * u * f * r[1][0] + f * f * r[2][0], u * u * r[0][1] + 2 * u * f * r[1][1] + f * f * r[2][1]];
  }
  function rim(n, toward) {
    var p = pos[n], dx = toward[0] - p[0], dy = toward[1] - p[1], d = Math.sqrt(dx * dx + dy * dy) || 1;
    var r = radius(n) + 2;
    return [p[0] + dx / d * r, p[1] + dy / d * r];
  }
  function clear(r, a, b) {
    for (var s = 1; s < 24; s++) {
      var q = bez(r, s / 24);
      for (var n = 0; n < N; n++) {
        if (n === a || n === b) { continue; }
        var dx = q[0] - pos[n][0], dy = q[1] - pos[n][1];
        if (dx * dx + dy * dy < Math.pow(radius(n) + 7, 2)) { return false; }
        // A server's state is written under it: keep clear of that too.
        if (isServer(n) && Math.abs(dx) < 46 && dy > radius(n) && dy < radius(n) + 44) { return false; }
      }
    }
    return true;
  }
  function route(a, b) {
    var key = a + ',' + b;
    if (routes[key]) { return routes[key]; }
    var A = pos[a], B = pos[b];
    var mx = (A[0] + B[0]) / 2, my = (A[1] + B[1]) / 2;
    var dx = B[0] - A[0], dy = B[1] - A[1], d = Math.sqrt(dx * dx + dy * dy) || 1;
    var px = -dy / d, py = dx / d;
    var best = null;
    [0, 50, -50, 90, -90, 140, -140, 200, -200].some(function (off) {
      var c = [mx + px * off, my + py * off];
      var r = [rim(a, c), c, rim(b, c)];
      if (off === 0) { r = [rim(a, B), [mx, my], rim(b, A)]; }
      if (clear(r, a, b)) { best = r; return true; }
      return false;
    });
    if (!best) { best = [rim(a, B), [mx, my], rim(b, A)]; }
    routes[key] = best;
    return best;
  }
  function pathOf(r) {
    return 'M' + r[0][0].toFixed(1) + ' ' + r[0][1].toFixed(1) + 'Q' + r[1][0].toFixed(1) + ' ' + r[1][1].toFixed(1) +
      ' ' + r[2][0].toFixed(1) + ' ' + r[2][1].toFixed(1);
  }

  el('rect', { x: 0, y: 0, width: W, height: H, fill: '#fbfbfb' }, stage);
  var defs = el('defs', {}, stage);
  var CUT = '#882255', SLOW = '#E69F00';
  [['st-arrow-cut', CUT], ['st-arrow-link', '#009E73']].forEach(function (m) {
    var mk = el('marker', { id: m[0], viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
    el('path', { d: 'M0 0L10 5L0 10z', fill: m[1] }, mk);
  });
  var netLayer = el('g', { 'class': 'st-net' }, stage);
  var linkLayer = el('g', {}, stage);
  var flightLayer = el('g', {}, stage);
  var nodeLayer = el('g', {}, stage);
  var markLayer = el('g', { 'class': 'st-marks' }, stage);
  var view = [];
  for (i = 0; i < N; i++) {
    var g = el('g', { 'class': 'st-node', 'data-node': i }, nodeLayer);
    var r = radius(i);
    var c = el('circle', { cx: pos[i][0], cy: pos[i][1], r: r, stroke: '#333', 'stroke-width': 1.5 }, g);
    // A crashed node: a pale disc crossed out in dark red, so its name and the black
    // crosses of messages it failed to receive stay readable.
    var x0 = pos[i][0], y0 = pos[i][1], xr = r * 0.62;
    var cross = el('path', { d: 'M' + (x0 - xr) + ' ' + (y0 - xr) + 'L' + (x0 + xr) + ' ' + (y0 + xr) + 'M' + (x0 + xr) + ' ' + (y0 - xr) + 'L' + (x0 - xr) + ' ' + (y0 + xr),
      stroke: '#B2182B', 'stroke-width': 4, 'stroke-opacity': 0.55, 'stroke-linecap': 'round', display: 'none', 'class': 'st-crash-mark' }, g);
    // A paused node: two bars over its top edge.
    var pause = el('g', { display: 'none', 'class': 'st-pause-mark' }, g);
    el('rect', { x: x0 - 11, y: y0 - r - 9, width: 22, height: 18, rx: 4, fill: '#fff', stroke: '#7a4f00' }, pause);
    el('rect', { x: x0 - 6, y: y0 - r - 5, width: 4, height: 10, fill: '#7a4f00' }, pause);
    el('rect', { x: x0 + 2, y: y0 - r - 5, width: 4, height: 10, fill: '#7a4f00' }, pause);
    var label = el('text', { x: pos[i][0], y: pos[i][1] + 4, 'text-anchor': 'middle', 'class': 'st-name' }, g, name(i));
    var l1 = el('text', { x: pos[i][0], y: pos[i][1] + r + 14, 'text-anchor': 'middle', 'class': 'st-sub' }, g, '');
    var l2 = el('text', { x: pos[i][0], y: pos[i][1] + r + 27, 'text-anchor': 'middle', 'class': 'st-sub' }, g, '');
    var l3 = el('text', { x: pos[i][0], y: pos[i][1] + r + 40, 'text-anchor': 'middle', 'class': 'st-sub' }, g, '');
    if (!isServer(i)) { l1.setAttribute('x', pos[i][0] + 20); l1.setAttribute('y', pos[i][1] + 4); l1.setAttribute('text-anchor', 'start'); }
    view.push({ g: g, circle: c, cross: cross, pause: pause, name: label, l1: l1, l2: l2, l3: l3 });
  }

  // The network at instant t, under everything else: each side of a partition shaded (an arc
  // of the ring and a ring around each member) with the cut drawn between the sides; a
  // one-way cut as arrows barred across; blocked or downed links as barred lines; slow or
  // degraded links thick amber with their factor; a slowed node tagged. Every shape carries
  // data attributes naming the fault (its position in `faults`) and the nodes.
  var SIDES = [['#DCEBF7', '#2F6FA8'], ['#FBEFD2', '#9A6A00'], ['#E0F2EA', '#1F7A55'], ['#EFE3F3', '#6E3F84'], ['#F2F2F2', '#555555']];
  function bar(r, colour, attrs, parent) {
    var m = bez(r, 0.5), n2 = bez(r, 0.52), dx = n2[0] - m[0], dy = n2[1] - m[1], d = Math.sqrt(dx * dx + dy * dy) || 1;
    var px = -dy / d * 9, py = dx / d * 9;
    el('line', { x1: m[0] - px, y1: m[1] - py, x2: m[0] + px, y2: m[1] + py, stroke: colour, 'stroke-width': 3.5 }, parent);
  }
  // Whether fault f is in effect at t: from its start up to its end, or through the run's
  // last instant for one still in effect when the run ended.
  function inEffect(f, t) { return f[0] <= t && (t < f[1] || (f[4] === 1 && t <= f[1])); }
  function drawNet(t) {
    while (netLayer.firstChild) { netLayer.removeChild(netLayer.firstChild); }
    while (markLayer.firstChild) { markLayer.removeChild(markLayer.firstChild); }
    var notes = [];
    D.faults.forEach(function (f, k) {
      var x = net[k];
      if (!x || !inEffect(f, t)) { return; }
      var g = el('g', { 'data-fault': k }, netLayer);
      if (x.groups) {
        g.setAttribute('class', 'st-cut');
        var outer = ringR + nodeR + 22;
        var contiguous = arcs(ring, x.groups);
        var boundaries = [];
        x.groups.forEach(function (grp, s) {
          var col = SIDES[s % SIDES.length];
          var side = el('g', { 'class': 'st-side', 'data-side': s, 'data-nodes': grp.join(',') }, g);
          var ks = ring.map(function (n, k2) { return grp.indexOf(n) >= 0 ? k2 : -1; }).filter(function (k2) { return k2 >= 0; });
          if (contiguous && ks.length && ks.length < ring.length) {
            // The arc: start at the member whose ring predecessor is not in the group.
            var first = ks.filter(function (k2) { return ks.indexOf((k2 + ring.length - 1) % ring.length) < 0; })[0];
            var a0 = -Math.PI / 2 + step0 * (first - 0.5), a1 = a0 + step0 * ks.length;
            boundaries.push(a0);
            var large = a1 - a0 > Math.PI ? 1 : 0;
            el('path', { d: 'M' + cx + ' ' + cy + 'L' + (cx + outer * Math.cos(a0)) + ' ' + (cy + outer * Math.sin(a0)) +
              'A' + outer + ' ' + outer + ' 0 ' + large + ' 1 ' + (cx + outer * Math.cos(a1)) + ' ' + (cy + outer * Math.sin(a1)) + 'Z',
            fill: col[0], 'fill-opacity': 0.9, stroke: 'none', 'class': 'st-region' }, side);
            var am = (a0 + a1) / 2;
            var tx = cx + ringR * 0.5 * Math.cos(am), ty = cy + ringR * 0.5 * Math.sin(am) + 4;
            el('text', { x: tx, y: ty, 'text-anchor': 'middle', 'class': 'st-side-label', fill: col[1] }, side, 'side ' + String.fromCharCode(65 + s));
          }
          grp.forEach(function (n) {
            if (n >= N) { return; }
            el('circle', { cx: pos[n][0], cy: pos[n][1], r: radius(n) + 6, fill: col[0], stroke: col[1], 'stroke-width': 2.5, 'class': 'st-halo', 'data-node': n }, side);
            if (!isServer(n) || !contiguous) {
              el('text', { x: pos[n][0], y: pos[n][1] - radius(n) - 9, 'text-anchor': 'middle', 'class': 'st-side-label', fill: col[1] }, side, String.fromCharCode(65 + s));
            }
          });
        });
        boundaries.forEach(function (a) {
          el('line', { x1: cx, y1: cy, x2: cx + (ringR + nodeR + 30) * Math.cos(a), y2: cy + (ringR + nodeR + 30) * Math.sin(a),
            stroke: CUT, 'stroke-width': 3, 'stroke-dasharray': '9 5', 'class': 'st-cut-line' }, g);
        });
        if (!boundaries.length) {
          // Sides that are not arcs of the ring (a later partition with other sides): the
          // cut is drawn on each link between servers of different sides, barred.
          x.groups.forEach(function (ga, sa) {
            x.groups.forEach(function (gb, sb) {
              if (sb <= sa) { return; }
              ga.forEach(function (a) {
                gb.forEach(function (b) {
                  if (a >= N || b >= N || !isServer(a) || !isServer(b)) { return; }
                  var r = route(a, b);
                  var cutLink = el('g', { 'class': 'st-cut-line', 'data-from': a, 'data-to': b }, g);
                  el('path', { d: pathOf(r), fill: 'none', stroke: CUT, 'stroke-width': 2, 'stroke-dasharray': '7 4', 'stroke-opacity': 0.8 }, cutLink);
                  bar(r, CUT, {}, cutLink);
                });
              });
            });
          });
        }
        notes.push([CUT, 'Partition (no message crosses the cut)'].concat(x.groups.map(function (grp, s) {
          return 'side ' + String.fromCharCode(65 + s) + ': ' + grp.map(name).join(', ');
        })));
      } else if (x.from) {
        g.setAttribute('class', 'st-oneway');
        x.from.forEach(function (a) {
          x.to.forEach(function (b) {
            if (a === b) { return; }
            var r = route(a, b);
            var arrow = el('g', { 'class': 'st-oneway-arrow', 'data-from': a, 'data-to': b }, g);
            el('path', { d: pathOf(r), fill: 'none', stroke: CUT, 'stroke-width': 2.5, 'stroke-dasharray': '7 4', 'marker-end': 'url(#st-arrow-cut)' }, arrow);
            bar(r, CUT, {}, arrow);
          });
        });
        notes.push([CUT, 'One-way cut', x.from.map(name).join(', ') + ' cannot send to ' + x.to.map(name).join(', '),
          '(the other way still works)']);
      } else if (x.blocked || (x.links && x.change === 'down')) {
        var down = !x.blocked;
        var colour = down ? '#009E73' : CUT;
        g.setAttribute('class', down ? 'st-links-down' : 'st-cut');
        var ps = x.blocked || x.links;
        var has = {};
        ps.forEach(function (p) { has[p[0] + ',' + p[1]] = true; });
        ps.forEach(function (p) {
          var both = has[p[1] + ',' + p[0]];
          if (both && p[0] > p[1]) { return; }
          var r = route(p[0], p[1]);
          var line = el('g', { 'class': 'st-blocked', 'data-from': p[0], 'data-to': p[1], 'data-both': both ? 1 : 0 }, g);
          var attrs = { d: pathOf(r), fill: 'none', stroke: colour, 'stroke-width': 2.5, 'stroke-dasharray': '7 4' };
          if (!both) { attrs['marker-end'] = down ? 'url(#st-arrow-link)' : 'url(#st-arrow-cut)'; }
          el('path', attrs, line);
          bar(r, colour, {}, line);
        });
        notes.push([colour, down ? 'Links down' : 'Cut links', ps.slice(0, 4).map(function (p) { return name(p[0]) + '\u2192' + name(p[1]); }).join(', ') +
          (ps.length > 4 ? ' +' + (ps.length - 4) + ' more' : '')]);
      } else if (x.links) {
        g.setAttribute('class', 'st-slow-links');
        var seen = {};
        x.links.forEach(function (p) {
          var key = Math.min(p[0], p[1]) + ',' + Math.max(p[0], p[1]);
          if (seen[key]) { return; }
          seen[key] = true;
          var r = route(p[0], p[1]);
          var line = el('g', { 'class': 'st-slow-link', 'data-from': p[0], 'data-to': p[1] }, g);
          el('path', { d: pathOf(r), fill: 'none', stroke: SLOW, 'stroke-width': 7, 'stroke-opacity': 0.45,
            'stroke-dasharray': x.change === 'slow' ? 'none' : '2 4', 'stroke-linecap': 'round' }, line);
        });
        notes.push([SLOW, x.change === 'slow' ? 'Slow links (latency \u00d7' + x.factor + ')' : 'Degraded links',
          x.links.slice(0, 4).map(function (p) { return name(p[0]) + '\u2192' + name(p[1]); }).join(', ') +
          (x.links.length > 4 ? ' +' + (x.links.length - 4) + ' more' : '')]);
      } else if (x.slow !== undefined && x.slow < N) {
        var n = x.slow, p = pos[n], rr = radius(n);
        var tag = el('g', { 'class': 'st-slow-node', 'data-fault': k, 'data-node': n }, markLayer);
        el('circle', { cx: p[0], cy: p[1], r: rr + 5, fill: 'none', stroke: SLOW, 'stroke-width': 4, 'stroke-dasharray': '4 3' }, tag);
        var text = x.what + ' \u00d7' + x.factor + ' slower';
        var w = text.length * 6.2 + 10;
        el('rect', { x: p[0] - w / 2, y: p[1] - rr - 26, width: w, height: 16, rx: 4, fill: '#FFF4DC', stroke: SLOW }, tag);
        el('text', { x: p[0], y: p[1] - rr - 14, 'text-anchor': 'middle', 'class': 'st-sub' }, tag, text);
        notes.push([SLOW, 'Slow node', name(n) + '\u2019s ' + x.what + ' is ' + x.factor + '\u00d7 slower']);
      }
    });
    var ny = 16;
    notes.forEach(function (note) {
      note.slice(1).forEach(function (line, k) {
        el('text', { x: 8, y: ny, 'class': k === 0 ? 'st-net-note st-net-title' : 'st-net-note', fill: note[0] }, markLayer, line);
        ny += 14;
      });
      ny += 4;
    });
  }

  function stateAt(n, t) {
    var k = upto(life[n], t);
    var lc = k >= 0 ? life[n][k][2] : 0;
    var ri = upto(roles[n], t);
    var role = ri >= 0 ? roles[n][ri] : null;
    var pi = upto(prog[n], t);
    var p = pi >= 0 ? prog[n][pi] : null;
    // A thinned point ahead whose changes have begun: the log is somewhere between the two.
    var q = prog[n][pi + 1];
    var moving = q && q.length > 5 && t >= q[0] - q[5] ? q : null;
    return { down: lc === 1, paused: lc === 2, role: role, prog: p, to: moving };
  }

  // A log figure (field k of a point), or the range it was moving through.
  function fig(s, k) {
    var a = s.prog ? s.prog[k] : 0;
    if (!s.to || s.to[k] === a) { return String(a); }
    return a + '\u2013' + s.to[k];
  }
  // The log on one line and the committed prefix on the next (a range is marked \u2248).
  function logText(s) {
    if (!words || (!s.prog && !s.to)) { return ['', '']; }
    var mark = s.to ? ' \u2248' : '';
    return [words.stageLog + ' ' + fig(s, 2) + ' (' + words.roundShort + fig(s, 3) + ')' + mark, words.stageCommit + ' ' + fig(s, 4) + mark];
  }

  // The legend: a dot per message type the recording holds, a cross per reason a message
  // was lost, in the colours the stage draws them with.
  var legend = document.getElementById('step-legend');
  if (legend) {
    var item = function (swatch, text) {
      var span = document.createElement('span');
      span.className = 'lg';
      var svg = document.createElementNS(NS, 'svg');
      svg.setAttribute('width', '14'); svg.setAttribute('height', '14'); svg.setAttribute('aria-hidden', 'true');
      swatch(svg);
      span.appendChild(svg);
      span.appendChild(document.createTextNode(' ' + text));
      legend.appendChild(span);
    };
    D.kinds.forEach(function (k, i) {
      item(function (g) { el('circle', { cx: 7, cy: 7, r: 5, fill: D.kindColours[i], stroke: '#fff' }, g); }, k);
    });
    D.fates.forEach(function (f, i) {
      if (i === delivered) { return; }
      item(function (g) { el('path', { d: 'M2 2l10 10m0 -10l-10 10', stroke: D.fateColours[i], 'stroke-width': 3 }, g); },
        'lost: ' + D.fateMeanings[i]);
    });
  }
  var table = document.getElementById('step-table');
  var rows = [];
  if (table) {
    servers.forEach(function (n) {
      var tr = document.createElement('tr');
      for (var k = 0; k < (words ? 7 : 2); k++) { tr.appendChild(document.createElement('td')); }
      tr.cells[0].textContent = name(n);
      table.tBodies[0].appendChild(tr);
      rows[n] = tr;
    });
  }

  // What the "step by" buttons stop at: the sorted distinct instants of each kind, and why a
  // kind has none.
  function distinct(a) {
    a.sort(function (x, y) { return x - y; });
    return a.filter(function (x, k) { return k === 0 || a[k - 1] !== x; });
  }
  var commits = [];
  if (words) {
    for (i = 0; i < N; i++) {
      var seen = 0;
      prog[i].forEach(function (p) { if (p[4] > seen) { commits.push([p[0], p[1], p[4]]); } seen = p[4]; });
    }
    commits.sort(byTime);
  }
  var stops = {
    fault: distinct([].concat(D.faults.map(function (f) { return f[0]; }),
      D.faults.filter(function (f) { return f[1] < D.end; }).map(function (f) { return f[1]; }))),
    role: distinct(words ? events.filter(function (e) { return e[1] === 0; }).map(function (e) { return e[0]; }) : []),
    commit: distinct(commits.map(function (c) { return c[0]; })),
    op: distinct(events.filter(function (e) { return e[1] === 7 || e[1] === 8; }).map(function (e) { return e[0]; })),
    lost: distinct(msgs.filter(function (m) { return m[5] !== delivered; }).map(function (m) { return m[1]; })),
    check: distinct(D.checkFails.map(function (f) { return f[0]; }))
  };
  var none = {
    fault: 'The scenario injected no fault.',
    role: words ? 'No server changed its role.' : 'These servers have no roles.',
    commit: words ? 'None happened in this run.' : 'These servers have none.',
    op: C ? 'The clients sent no operation.' : 'The clients of this run inject values; they send no operations with replies.',
    lost: 'No message was lost in the recorded window (messages are recorded only there).',
    check: 'No check failed at a known instant (a liveness or convergence failure is judged over the whole run and has no instant).'
  };

  var slider = document.getElementById('step-slider');
  var clock = document.getElementById('step-time');
  // Messages you can read: hover a dot for its contents, click it to keep them under the
  // stage (the dot is ringed in black while it flies).
  var msgBox = document.getElementById('step-msg');
  var picked = -1;
  function fieldsOf(m) {
    var flat = m[6] || [], out = [];
    for (var f = 0; f + 1 < flat.length; f += 2) {
      var v = flat[f + 1];
      var shown = v === true ? 'yes' : v === false ? 'no' : v !== null && typeof v === 'object' ? name(v.node) : String(v);
      out.push([D.fieldNames[flat[f]], shown]);
    }
    return out;
  }
  function msgHead(m) {
    var fate = m[5] === delivered ? 'arrives ' + secs(m[1]) : 'lost at ' + secs(m[1]) + ': ' + D.fateMeanings[m[5]];
    return D.kinds[m[4]] + ' ' + name(m[2]) + '\u2192' + name(m[3]) + ', sent ' + secs(m[0]) + ', ' + fate;
  }
  function msgMark(node, k) {
    node.setAttribute('data-msg', k);
    node.setAttribute('class', 'st-msg');
    var m = msgs[k];
    el('title', {}, node, msgHead(m) + fieldsOf(m).map(function (f) { return '\n' + f[0] + ': ' + f[1]; }).join(''));
  }
  function showMsg() {
    while (msgBox.firstChild) { msgBox.removeChild(msgBox.firstChild); }
    if (picked < 0) {
      msgBox.textContent = 'Click a message dot (or a lost message\u2019s cross) to read what it says.';
      return;
    }
    var m = msgs[picked];
    msgBox.setAttribute('data-sent', m[0]);
    msgBox.setAttribute('data-from', m[2]);
    msgBox.setAttribute('data-to', m[3]);
    msgBox.setAttribute('data-kind', D.kinds[m[4]]);
    var head = document.createElement('p');
    head.className = 'st-msg-head';
    head.textContent = msgHead(m);
    msgBox.appendChild(head);
    var fields = fieldsOf(m);
    if (!fields.length) {
      msgBox.appendChild(document.createTextNode('Its protocol lists no contents for this message.'));
      return;
    }
    var dl = document.createElement('dl');
    fields.forEach(function (f) {
      var dt = document.createElement('dt'), dd = document.createElement('dd');
      dt.textContent = f[0];
      dd.textContent = f[1];
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    msgBox.appendChild(dl);
  }
  flightLayer.addEventListener('click', function (e) {
    var k = e.target.getAttribute && e.target.getAttribute('data-msg');
    if (k === null || k === undefined) { return; }
    picked = Number(k);
    showMsg();
    render();
  });
  var what = document.getElementById('step-events');
  var active = document.getElementById('step-faults');
  slider.max = D.end;
  // The page opens where the run's lesson is: the first check failure, else the first fault,
  // else the recorded window.
  var t = Math.min(D.window[0], D.end);
  if (D.checkFails.length) { t = D.checkFails[0][0]; } else if (D.faults.length) { t = D.faults[0][0]; }
  // A link such as index.html#t=3.2314 opens the view at that instant (seconds).
  var wanted = /[#&]t=([0-9.]+)/.exec(window.location.hash);
  if (wanted) { t = Math.max(0, Math.min(D.end, Math.round(Number(wanted[1]) * 1e6))); }


  function render() {
    slider.value = t;
    clock.textContent = 't = ' + secs(t);
    var moving = [];
    for (var n = 0; n < N; n++) {
      var s = stateAt(n, t), v = view[n];
      var fill = s.role ? D.roleColours[s.role[2]] : '#eee';
      if (!isServer(n)) { fill = '#f4f0fa'; }
      // Crashed: a pale disc crossed out, with a thick dark-red edge; paused: faded, a
      // dashed edge and a pause sign.
      if (s.down) { fill = '#F1F1F1'; }
      v.circle.setAttribute('fill', fill);
      v.circle.setAttribute('fill-opacity', s.paused ? 0.45 : 1);
      v.circle.setAttribute('stroke', s.down ? '#B2182B' : s.paused ? '#7a4f00' : '#333');
      v.circle.setAttribute('stroke-width', s.down || s.paused ? 3 : 1.5);
      v.circle.setAttribute('stroke-dasharray', s.paused ? '5 3' : 'none');
      v.cross.setAttribute('display', s.down ? 'inline' : 'none');
      v.pause.setAttribute('display', s.paused && !s.down ? 'inline' : 'none');
      v.g.setAttribute('data-state', s.down ? 'crashed' : s.paused ? 'paused' : 'up');
      v.l1.setAttribute('class', s.down || s.paused ? 'st-sub st-state-bad' : 'st-sub');
      v.name.setAttribute('fill', !s.down && s.role && D.roleNames[s.role[2]] === 'leader' ? '#fff' : '#111');
      if (isServer(n)) {
        var peer = !words || (s.role && D.roleNames[s.role[2]] === 'peer');
        var state = s.down ? 'crashed' : s.paused ? 'paused' : peer ? 'up' : s.role ? D.roleNames[s.role[2]] : '';
        v.l1.textContent = s.down ? 'crashed' : state + (s.role && !peer ? ', ' + words.round + ' ' + s.role[3] : '');
        var lines = s.down ? ['', ''] : logText(s);
        v.l2.textContent = lines[0];
        v.l3.textContent = lines[1];
        if (!s.down && s.to) { moving.push(name(n)); }
        if (rows[n]) {
          var c = rows[n].cells;
          c[1].textContent = s.down ? 'crashed' : s.paused ? 'paused' : 'up';
          if (!words) { rows[n].className = s.down ? 'down' : ''; continue; }
          c[2].textContent = s.down ? '' : s.role ? D.roleNames[s.role[2]] : '';
          c[3].textContent = s.down || !s.role || peer ? '' : s.role[3];
          var shown = !s.down && (s.prog || s.to);
          c[4].textContent = shown ? fig(s, 2) : '';
          c[5].textContent = shown ? fig(s, 3) : '';
          c[6].textContent = shown ? fig(s, 4) : '';
          rows[n].className = s.down ? 'down' : s.role && D.roleNames[s.role[2]] === 'leader' ? 'leader' : '';
        }
      } else {
        v.l1.textContent = s.down ? 'crashed' : '';
      }
    }
    drawNet(t);
    while (flightLayer.firstChild) { flightLayer.removeChild(flightLayer.firstChild); }
    while (linkLayer.firstChild) { linkLayer.removeChild(linkLayer.firstChild); }
    var hi = upto(msgs, t);
    var shown = 0;
    for (var k = hi; k >= 0 && msgs[k][0] >= t - longest - flash; k--) {
      var m = msgs[k], way = route(m[2], m[3]);
      var colour = D.kindColours[m[4]];
      if (m[5] === delivered) {
        if (t > m[1]) { continue; }
        var f = m[1] > m[0] ? (t - m[0]) / (m[1] - m[0]) : 1;
        el('path', { d: pathOf(way), fill: 'none', stroke: colour, 'stroke-opacity': 0.22 }, linkLayer);
        var p = bez(way, f);
        msgMark(el('circle', { cx: p[0], cy: p[1], r: 5, fill: colour, stroke: k === picked ? '#000' : '#fff', 'stroke-width': k === picked ? 2.5 : 1 }, flightLayer), k);
        shown++;
      } else {
        var fc = D.fateColours[m[5]];
        if (t < m[1]) {
          var q = bez(way, (t - m[0]) / (m[1] - m[0]));
          msgMark(el('circle', { cx: q[0], cy: q[1], r: 5, fill: colour, stroke: k === picked ? '#000' : fc, 'stroke-width': k === picked ? 2.5 : 1.5 }, flightLayer), k);
          shown++;
        } else if (t <= m[1] + flash) {
          var x = bez(way, m[1] > m[0] ? 0.92 : 0.3);
          msgMark(el('path', { d: 'M' + (x[0] - 6) + ' ' + (x[1] - 6) + 'l12 12m0 -12l-12 12', stroke: fc, 'stroke-width': 3 }, flightLayer), k);
          shown++;
        }
      }
    }
    var here = [];
    var e0 = lowerBound(t);
    for (var j = e0; j < events.length && events[j][0] === t; j++) { here.push(describe(events[j])); }
    for (j = commitAt(t); j < commits.length && commits[j][0] === t; j++) {
      here.push(name(commits[j][1]) + ': ' + words.stageCommit + ' ' + commits[j][2]);
    }
    var msgNote = t < D.window[0] || t > D.window[1] + longest
      ? 'Messages are recorded only between ' + secs(D.window[0]) + ' and ' + secs(D.window[1]) + ' (the recorded window).'
      : shown + ' message' + (shown === 1 ? '' : 's') + ' in flight or just lost.';
    var thinNote = moving.length && words
      ? ' Outside the recorded window ' + words.thinned + ' recorded once per ' + (D.thin / 1000) + ' ms: ' +
        moving.join(', ') + (moving.length === 1 ? ' was' : ' were') + ' somewhere in the range shown (\u2248).'
      : '';
    what.textContent = (here.length ? here.slice(0, 6).join('; ') + (here.length > 6 ? '; and ' + (here.length - 6) + ' more' : '') + '. ' : '') + msgNote + thinNote;
    var now = D.faults.filter(function (f) { return inEffect(f, t); }).map(function (f) { return f[2]; });
    active.textContent = now.length ? 'In effect now: ' + now.join('; ') : 'No fault in effect.';
    drawOps();
    // The per-server state panel (state.js) redraws at the same instant.
    stage.dispatchEvent(new CustomEvent('step-render', { detail: t }));
  }

  // The operation timeline (Porcupine's picture): a lane per client, a bar per operation
  // from when it was sent to when its answer came, in a span around the cursor. An
  // operation without a reply is drawn, dashed, until the client's next operation.
  var opsSvg = document.getElementById('ops-timeline');
  var opsInfo = document.getElementById('ops-info');
  var opsZoom = document.getElementById('ops-zoom');
  var OW = 1000, LANE = 18, TOP = 22, LEFT = 34;
  var lanes = 0, opEnd = [], longestOp = 0, inCx = {};
  if (C && opsSvg) {
    var nextBy = {};
    ops.forEach(function (o) { lanes = Math.max(lanes, o[0] + 1); });
    for (var k2 = ops.length - 1; k2 >= 0; k2--) {
      var o = ops[k2];
      opEnd[k2] = o[2] !== null ? o[2] : (nextBy[o[0]] !== undefined ? nextBy[o[0]] : D.end);
      nextBy[o[0]] = o[1];
      longestOp = Math.max(longestOp, opEnd[k2] - o[1]);
    }
    if (C.cx) { C.cx.ops.forEach(function (h) { inCx[h] = true; }); }
    opsSvg.setAttribute('viewBox', '0 0 ' + OW + ' ' + (TOP + lanes * LANE + 4));
    var spanFor = function () { return opsZoom && Number(opsZoom.value) > 0 ? Number(opsZoom.value) : D.end; };
    var opsView = el('g', {}, opsSvg);
    var showOp = function (k) {
      var o = ops[k];
      opsInfo.textContent = 'c' + (o[0] + 1) + ' ' + o[4] + ': ' + OUT[o[2] === null ? 2 : o[3]] +
        ', sent at ' + secs(o[1]) + (o[2] !== null ? ', answered at ' + secs(o[2]) + ' (' + ((o[2] - o[1]) / 1000).toFixed(1) + ' ms)' : '') +
        (inCx[o[5]] ? '. One of the operations no one-at-a-time order can explain.' : '.');
    };
    opsSvg.addEventListener('mouseover', function (e) {
      var k = e.target.getAttribute && e.target.getAttribute('data-op');
      if (k !== null && k !== undefined) { showOp(Number(k)); }
    });
    opsSvg.addEventListener('click', function (e) {
      var k = e.target.getAttribute && e.target.getAttribute('data-op');
      stop();
      if (k !== null && k !== undefined) { t = ops[Number(k)][1]; render(); showOp(Number(k)); return; }
      var box = opsSvg.getBoundingClientRect();
      var x = (e.clientX - box.left) / box.width * OW;
      if (x < LEFT) { return; }
      var sp = spanFor(), a0 = Math.max(0, Math.min(D.end - sp, t - sp / 2));
      t = Math.max(0, Math.min(D.end, Math.round(a0 + (x - LEFT) / (OW - LEFT) * sp)));
      render();
    });
    if (opsZoom) { opsZoom.addEventListener('change', function () { render(); }); }
    var cxButton = document.getElementById('ops-cx');
    if (cxButton && C.cx) {
      cxButton.addEventListener('click', function () {
        var lo = Infinity, hi = 0;
        ops.forEach(function (o, k) { if (inCx[o[5]]) { lo = Math.min(lo, o[1]); hi = Math.max(hi, opEnd[k]); } });
        stop();
        t = lo;
        if (opsZoom) {
          var fit = 0;
          for (var z = 0; z < opsZoom.options.length; z++) {
            var v = Number(opsZoom.options[z].value);
            if (v > 0 && v >= (hi - lo) * 1.2 && (fit === 0 || v < fit)) { fit = v; }
          }
          opsZoom.value = String(fit);
        }
        render();
        opsSvg.scrollIntoView({ block: 'center' });
      });
    }
  }
  function drawOps() {
    if (!C || !opsSvg) { return; }
    while (opsView.firstChild) { opsView.removeChild(opsView.firstChild); }
    var sp = spanFor();
    var a0 = Math.max(0, Math.min(D.end - sp, t - sp / 2)), a1 = a0 + sp;
    var X = function (u) { return LEFT + (u - a0) / sp * (OW - LEFT); };
    for (var c = 0; c < lanes; c++) {
      var y = TOP + c * LANE;
      el('rect', { x: LEFT, y: y, width: OW - LEFT, height: LANE - 2, fill: c % 2 ? '#f7f7f7' : '#fdfdfd' }, opsView);
      el('text', { x: LEFT - 4, y: y + 12, 'text-anchor': 'end', 'class': 'ops-axis' }, opsView, 'c' + (c + 1));
    }
    // Ticks at round instants: 1, 2 or 5 times a power of ten, about six across.
    var unit = Math.pow(10, Math.floor(Math.log(sp / 6) / Math.LN10));
    var tick = [1, 2, 5, 10].map(function (f) { return f * unit; }).filter(function (v) { return sp / v <= 7; })[0] || 10 * unit;
    for (var tk = Math.ceil(a0 / tick) * tick; tk <= a1; tk += tick) {
      var tx = X(tk);
      el('line', { x1: tx, y1: 14, x2: tx, y2: TOP + lanes * LANE, stroke: '#ddd' }, opsView);
      el('text', { x: tx, y: 11, 'class': 'ops-axis', 'text-anchor': tx > OW - 40 ? 'end' : 'middle' }, opsView,
        tick >= 1e5 ? (tk / 1e6).toFixed(tick >= 1e6 ? 0 : 1) + ' s' : (tk / 1e3).toFixed(tick >= 1e3 ? 0 : 1) + ' ms');
    }
    D.faults.forEach(function (f) {
      if (f[1] < a0 || f[0] > a1) { return; }
      var x0 = Math.max(X(f[0]), LEFT), x1 = Math.min(X(f[1]), OW);
      el('rect', { x: x0, y: TOP - 4, width: Math.max(x1 - x0, 1), height: 3, fill: '#CC79A7' }, opsView);
    });
    // Operations sent before a0 - longestOp cannot reach the span; ops are in history
    // (invocation) order.
    var lo = 0, hi = ops.length;
    while (lo < hi) { var m = (lo + hi) >> 1; if (ops[m][1] < a0 - longestOp) { lo = m + 1; } else { hi = m; } }
    var marked = [];
    for (var k = lo; k < ops.length && ops[k][1] <= a1; k++) {
      var o = ops[k];
      if (opEnd[k] < a0) { continue; }
      var x0 = Math.max(X(o[1]), LEFT), x1 = Math.min(X(opEnd[k]), OW);
      var out = o[2] === null ? 2 : o[3];
      // A pixel of space between back-to-back operations of one client.
      var attrs = { x: x0, y: TOP + o[0] * LANE + 3, width: Math.max(x1 - x0 - 1, 1.5), height: LANE - 8,
        fill: OUT_COLOURS[out], 'fill-opacity': out === 2 ? 0.45 : 0.85, 'data-op': k, 'class': 'op-bar' };
      if (out === 2) { attrs.stroke = '#7a4f00'; attrs['stroke-dasharray'] = '3 2'; }
      if (inCx[o[5]]) { marked.push(attrs); continue; }
      el('rect', attrs, opsView);
    }
    // The counterexample's operations on top, ringed, at least a few pixels wide.
    marked.forEach(function (a) {
      a.stroke = RING; a['stroke-width'] = 2.5; a['stroke-dasharray'] = 'none'; a.width = Math.max(a.width, 4);
      a['class'] = 'op-bar op-cx';
      el('rect', a, opsView);
    });
    var cxLine = X(t);
    el('line', { x1: cxLine, y1: TOP - 6, x2: cxLine, y2: TOP + lanes * LANE, stroke: '#111', 'stroke-width': 1.5, 'class': 'ops-cursor' }, opsView);
  }

  function commitAt(x) {
    var lo = 0, hi = commits.length;
    while (lo < hi) { var m = (lo + hi) >> 1; if (commits[m][0] < x) { lo = m + 1; } else { hi = m; } }
    return lo;
  }
  function lowerBound(x) {
    var lo = 0, hi = events.length;
    while (lo < hi) { var m = (lo + hi) >> 1; if (events[m][0] < x) { lo = m + 1; } else { hi = m; } }
    return lo;
  }
  function step(dir) {
    stop();
    var lo = 0, hi = times.length;
    while (lo < hi) { var m = (lo + hi) >> 1; if (times[m] <= t) { lo = m + 1; } else { hi = m; } }
    if (dir > 0) { if (lo < times.length) { t = times[lo]; } }
    else {
      var k = lo - 1;
      if (k >= 0 && times[k] === t) { k--; }
      if (k >= 0) { t = times[k]; } else { t = 0; }
    }
    render();
  }

  // Moves to the next (dir > 0) or previous instant of one kind.
  function jump(kind, dir) {
    stop();
    var a = stops[kind];
    var lo = 0, hi = a.length;
    while (lo < hi) { var m = (lo + hi) >> 1; if (a[m] <= t) { lo = m + 1; } else { hi = m; } }
    var k = dir > 0 ? lo : (lo > 0 && a[lo - 1] === t ? lo - 2 : lo - 1);
    if (k >= 0 && k < a.length) { t = a[k]; }
    render();
  }
  document.querySelectorAll('#step-by button').forEach(function (b) {
    var kind = b.getAttribute('data-kind');
    if (!stops[kind] || stops[kind].length === 0) { b.disabled = true; b.title = none[kind] || ''; return; }
    b.addEventListener('click', function () { jump(kind, Number(b.getAttribute('data-dir'))); });
  });

  var playing = false, last = 0;
  var speed = document.getElementById('step-speed');
  var play = document.getElementById('step-play');
  function frame(now) {
    if (!playing) { return; }
    var dt = last ? Math.min(now - last, 100) : 0;
    last = now;
    t = Math.min(D.end, t + Math.round(dt / 1000 * Number(speed.value)));
    render();
    if (t >= D.end) { stop(); return; }
    window.requestAnimationFrame(frame);
  }
  function stop() { playing = false; play.textContent = '\u25b6 play'; }
  play.addEventListener('click', function () {
    if (playing) { stop(); return; }
    playing = true; last = 0; play.textContent = '\u23f8 pause';
    window.requestAnimationFrame(frame);
  });
  document.getElementById('step-prev').addEventListener('click', function () { step(-1); });
  document.getElementById('step-next').addEventListener('click', function () { step(1); });
  document.getElementById('step-window').addEventListener('click', function () { stop(); t = D.window[0]; render(); });
  slider.addEventListener('input', function () { stop(); t = Number(slider.value); render(); });
  document.getElementById('step').addEventListener('keydown', function (e) {
    if (e.target === speed) { return; }
    if (e.key === 'ArrowRight') { step(1); e.preventDefault(); }
    if (e.key === 'ArrowLeft') { step(-1); e.preventDefault(); }
  });

  // The strip above the slider: fault windows, the message window, leader elections.
  var strip = document.getElementById('step-strip');
  if (strip) {
    var SW = 1000, SH = 26;
    var sx = function (us) { return us / Math.max(D.end, 1) * SW; };
    el('rect', { x: 0, y: 0, width: SW, height: SH, fill: '#f3f3f3' }, strip);
    D.faults.forEach(function (f) {
      el('rect', { x: sx(f[0]), y: 0, width: Math.max(sx(f[1]) - sx(f[0]), 1), height: SH, fill: '#CC79A7', 'fill-opacity': 0.35 }, strip);
    });
    el('rect', { x: sx(D.window[0]), y: 1, width: Math.max(sx(D.window[1]) - sx(D.window[0]), 2), height: SH - 2, fill: 'none', stroke: '#0072B2', 'stroke-width': 2 }, strip);
    D.roles.forEach(function (r) {
      if (words && D.roleNames[r[2]] === 'leader') { el('rect', { x: sx(r[0]) - 0.75, y: SH - 9, width: 1.5, height: 9, fill: '#009E73' }, strip); }
    });
    strip.addEventListener('click', function (e) {
      var box = strip.getBoundingClientRect();
      stop();
      t = Math.round((e.clientX - box.left) / box.width * D.end);
      render();
    });
  }
  showMsg();
  render();
  if (wanted) { document.getElementById('step').scrollIntoView(); }
}());
