// The lab page: polls the session's state, and turns each click into an action (a
// scenario entry the server stamps with the current virtual time). Nothing is decided here:
// the server validates every action and answers with the session's state.
(function () {
  'use strict';
  var token = new URLSearchParams(location.search).get('token') || '';
  var $ = function (id) { return document.getElementById(id); };
  var last = null;

  function api(method, path, body) {
    var init = { method: method, headers: { 'X-Lab-Token': token } };
    if (body !== undefined) { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json'; }
    return fetch(path, init).then(function (r) {
      return r.json().then(function (v) {
        if (!r.ok) { throw new Error(v.error || r.statusText); }
        return v;
      });
    });
  }
  function show(p) {
    return p.then(function (v) { $('lab-error').textContent = ''; if (v && v.servers) { render(v); follow(v); } return v; })
      .catch(function (e) { $('lab-error').textContent = e.message; });
  }
  function act(entry) { $('lab-stepped').hidden = true; return show(api('POST', '/api/act', entry)); }
  function secs(ns) { return (ns / 1e9).toFixed(6) + ' s'; }
  function words(s) { return s.trim().split(/[\s,]+/).filter(function (x) { return x; }); }

  function button(parent, label, entry) {
    var b = document.createElement('button');
    b.type = 'button'; b.textContent = label;
    b.addEventListener('click', function () { act(entry); });
    parent.appendChild(b);
  }

  // Words for one trace line of a step by one event (the fields `eightfold run --trace`
  // writes).
  function eventWords(e) {
    var t = secs(e.t) + ' ';
    switch (e.ev) {
      case 'send': return t + e.from + ' sends ' + e.kind + ' to ' + e.to + ' (' + e.fate + ')';
      case 'deliver': return t + e.kind + ' ' + e.from + '\u2192' + e.to + ' delivered';
      case 'drop': return t + e.kind + ' ' + e.from + '\u2192' + e.to + ' lost: ' + e.reason;
      case 'timer': return t + 'timer ' + e.timer + ' fires at ' + e.node;
      case 'fault': return t + 'fault ' + e.fault + ': ' + e.detail;
      default: {
        // An observation, a lifecycle change (crash, start, pause…) or another kernel event:
        // its own fields.
        var rest = {};
        Object.keys(e).forEach(function (k) { if (k !== 't' && k !== 'ev' && k !== 'node') { rest[k] = e[k]; } });
        var more = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
        return t + (e.node ? e.node + ' ' : '') + (e.ev === 'obs' ? 'announces' : e.ev) + more;
      }
    }
  }
  var stepNames = { event: 'event', instant: 'instant', fault: 'fault', role: 'role change', commit: 'commit',
    operation: 'operation', lost: 'lost message' };
  function showStep(v) {
    var st = v && v.stepped;
    var box = $('lab-stepped');
    if (!st) { box.hidden = true; return; }
    box.hidden = false;
    $('lab-stepped-what').textContent = st.found
      ? 'Stepped to the next ' + stepNames[st.by] + ': now ' + secs(v.now_ns) + '.'
      : (v.violation ? 'Stopped: a check failed.' : 'No ' + stepNames[st.by] + ' within ' + (st.limit_ns / 1e9) +
        ' s of virtual time (or the run cannot go on): now ' + secs(v.now_ns) + '.');
    var ol = $('lab-events');
    ol.textContent = '';
    st.events.forEach(function (e) { var li = document.createElement('li'); li.textContent = eventWords(e); ol.appendChild(li); });
  }

  function render(v) {
    last = v;
    $('lab-scenario').textContent = v.scenario + ' (' + v.protocol + ', seed ' + v.seed + ')';
    $('lab-time').textContent = secs(v.now_ns);
    $('lab-digest').textContent = v.digest;
    $('lab-ops').textContent = v.ops;
    $('lab-play').disabled = v.playing;
    if (v.playing) { $('lab-stepped').hidden = true; }
    var box = $('lab-servers');
    box.textContent = '';
    v.servers.forEach(function (n) {
      var d = document.createElement('div');
      d.className = 'lab-server' + (n.up ? '' : ' down') + (n.paused ? ' paused' : '') + (n.up && n.role === 'leader' ? ' leader' : '');
      d.setAttribute('data-node', n.name);
      d.setAttribute('data-role', n.up ? n.role : 'crashed');
      var who = document.createElement('div');
      who.className = 'who';
      who.textContent = n.name + ': ' + (n.up ? (n.paused ? 'paused ' : '') + n.role.replace('_', '-') + ', term ' + n.term : 'crashed');
      d.appendChild(who);
      if (n.bugs.length) {
        var bug = document.createElement('div');
        bug.className = 'bug';
        bug.textContent = 'runs bug ' + n.bugs.join(', ');
        d.appendChild(bug);
      }
      if (n.up) {
        button(d, 'crash', { fault: 'crash', node: n.name });
        button(d, n.paused ? 'resume' : 'pause', { fault: n.paused ? 'resume' : 'pause', node: n.name });
        button(d, 'isolate', { fault: 'isolate', node: n.name });
      } else {
        button(d, 'restart', { fault: 'restart', node: n.name });
      }
      box.appendChild(d);
    });
    var bugs = $('lab-bug');
    if (bugs.options.length !== v.bugs.length) {
      bugs.textContent = '';
      v.bugs.forEach(function (b) { var o = document.createElement('option'); o.textContent = b.name; o.title = b.what; bugs.appendChild(o); });
      $('lab-bug-box').hidden = v.bugs.length === 0;
      bugWords();
    }
    var sel = $('lab-client');
    if (sel.options.length !== v.clients.length) {
      sel.textContent = '';
      v.clients.forEach(function (c) { var o = document.createElement('option'); o.textContent = c; sel.appendChild(o); });
    }
    var ol = $('lab-actions');
    ol.textContent = '';
    v.actions.forEach(function (a) { var li = document.createElement('li'); li.textContent = JSON.stringify(a); ol.appendChild(li); });
    var ul = $('lab-recent');
    ul.textContent = '';
    v.recent.slice().reverse().forEach(function (o) {
      var li = document.createElement('li');
      li.textContent = 'c' + (o.client + 1) + ' ' + o.op + ' ' + o.key + (o.value ? ' ' + o.value : '') +
        ' → ' + o.outcome + (o.read !== undefined ? ' read ' + JSON.stringify(o.read) : '') +
        (o.applied !== undefined ? ' applied ' + o.applied : '');
      ul.appendChild(li);
    });
    if (v.violation) {
      $('lab-violation').textContent = 'The run stopped: check ' + v.violation.check + ' failed. ' + v.violation.detail;
      $('lab-checks').textContent = 'FAILED (see above)';
    } else {
      $('lab-violation').textContent = '';
      $('lab-checks').textContent = v.unchecked ? 'could not be checked: ' + v.unchecked : 'hold so far';
    }
  }

  // The step-through, opened at the session's instant (the report page reads #t=).
  var shown = null;
  function refreshView() {
    var f = $('lab-view');
    var at = last ? last.now_ns : 0;
    shown = last ? last.version + '@' + at : null;
    f.src = '/api/view?window_ms=500&token=' + encodeURIComponent(token) + '&at=' + at + '#t=' + (at / 1e9).toFixed(6);
  }
  // While paused, keep the step-through at the session's instant (it re-simulates the
  // session, so only when something changed, and not while playing).
  function follow(v) {
    if (!$('lab-follow').checked || !v || v.playing || v.now_ns === 0) { return; }
    if (shown !== v.version + '@' + v.now_ns) { refreshView(); }
  }

  $('lab-play').addEventListener('click', function () {
    var s = $('lab-speed').value;
    show(api('POST', '/api/play', { speed: s === 'max' ? 'max' : Number(s) }));
  });
  $('lab-speed').addEventListener('change', function () { if (last && last.playing) { $('lab-play').disabled = false; $('lab-play').click(); } });
  $('lab-pause').addEventListener('click', function () { show(api('POST', '/api/pause')); });
  Array.prototype.forEach.call(document.querySelectorAll('.lab-steps button'), function (b) {
    b.addEventListener('click', function () {
      show(api('POST', '/api/step', { by: b.getAttribute('data-by') })).then(showStep);
    });
  });
  function stepKey(by) { return document.querySelector('.lab-steps button[data-by="' + by + '"]'); }
  $('lab-heal').addEventListener('click', function () { act({ fault: 'heal' }); });
  $('lab-partition').addEventListener('click', function () { act({ fault: 'partition', groups: [words($('lab-side').value)] }); });
  $('lab-cut').addEventListener('click', function () {
    act({ fault: 'partition_oneway', from: words($('lab-cut-from').value), to: words($('lab-cut-to').value) });
  });
  $('lab-link').addEventListener('click', function () {
    var profile = {};
    if ($('lab-link-latency').value) { profile.latency = $('lab-link-latency').value; }
    if ($('lab-link-loss').value) { profile.loss = Number($('lab-link-loss').value); }
    if ($('lab-link-bw').value) { profile.bandwidth = $('lab-link-bw').value; }
    act({ fault: 'degrade', from: words($('lab-link-from').value), to: words($('lab-link-to').value), profile: profile });
  });
  $('lab-clock').addEventListener('click', function () {
    var e = { fault: 'clock', node: $('lab-clock-node').value.trim(), offset: $('lab-clock-offset').value || '0ms' };
    if ($('lab-clock-drift').value) { e.drift = Number($('lab-clock-drift').value); }
    act(e);
  });
  function bugWords() {
    var b = last && last.bugs.filter(function (x) { return x.name === $('lab-bug').value; })[0];
    $('lab-bug-what').textContent = b ? b.what + '. Breaks ' + b.breaks + '.' : '';
  }
  $('lab-bug').addEventListener('change', bugWords);
  $('lab-bug-deploy').addEventListener('click', function () {
    var e = { fault: 'bug', name: $('lab-bug').value };
    var to = words($('lab-bug-nodes').value);
    if (to.length) { e.nodes = to; }
    act(e);
  });
  $('lab-send').addEventListener('click', function () {
    var op = $('lab-op').value;
    var e = { client: $('lab-client').value, op: op, key: $('lab-key').value.trim() };
    if (op !== 'get' && $('lab-value').value) { e.value = $('lab-value').value; }
    if (op === 'cas') { e.expected = $('lab-expected').value === '' ? null : $('lab-expected').value; }
    act(e);
  });
  $('lab-rewind').addEventListener('click', function () {
    var s = Number($('lab-rewind-to').value);
    if (!(s >= 0)) { $('lab-error').textContent = 'rewind: give a time in seconds'; return; }
    show(api('POST', '/api/rewind', { to_ns: Math.round(s * 1e9) }));
  });
  $('lab-save').addEventListener('click', function () {
    show(api('POST', '/api/save')).then(function (v) {
      if (!v || !v.text) { return; }
      var a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([v.text], { type: 'application/json' }));
      a.download = v.file;
      document.body.appendChild(a);
      a.click();
      a.remove();
      $('lab-error').textContent = 'saved ' + v.path + ' (digest ' + v.digest + ')';
    });
  });
  $('lab-refresh').addEventListener('click', refreshView);
  document.addEventListener('keydown', function (e) {
    if (e.target && /INPUT|SELECT|TEXTAREA/.test(e.target.tagName)) { return; }
    var by = { e: 'event', s: 'instant', f: 'fault', r: 'role', c: 'commit', o: 'operation', l: 'lost' }[e.key];
    if (by) { e.preventDefault(); stepKey(by).click(); return; }
    var k = { p: 'lab-play', ' ': 'lab-pause', h: 'lab-heal', w: 'lab-save', v: 'lab-refresh' }[e.key];
    if (k) { e.preventDefault(); $(k).click(); }
  });
  function poll() { show(api('GET', '/api/state')).then(function () { setTimeout(poll, 250); }); }
  poll();
}());
