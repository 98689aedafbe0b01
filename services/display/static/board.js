/* Lobby board: folds the SSE stream into the screen, announces each call.
   Same fold rules as services/display/board.py: decisions by `sequence`, duplicates by
   event_id. An event older than one already seen (topics are read independently)
   makes the page re-read the board JSON, which the server folds exactly. */
(function () {
  "use strict";

  var RECENT = 10;
  var FLASH_MS = 6000;
  var FRESH_MS = 8000;
  var siteId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
  var agency = new URLSearchParams(location.search).get("agency");
  var base = "/api/sites/" + encodeURIComponent(siteId) + "/board";

  var state = null;           // the board: snapshot plus events folded since
  var announced = new Set();  // event ids already spoken (across reconnects)
  var firstSnapshot = true;
  var resyncTimer = null;
  var fresh = {};             // counter_id -> time its call arrived

  var $ = function (id) { return document.getElementById(id); };

  // -- folding ------------------------------------------------------------------------

  function fromSnapshot(board) {
    var s = {
      board: board,
      lastCall: {},
      completed: {},
      waiting: {},
      recent: board.recent_calls.slice(),
      seen: new Set(),
      maxSeq: board.last_sequence || 0
    };
    board.now_serving.forEach(function (c) { s.lastCall[c.counter_id] = c; });
    Object.keys(board.waiting).forEach(function (sid) {
      s.waiting[sid] = [s.maxSeq, board.waiting[sid]];
    });
    board.recent_calls.forEach(function (c) { s.seen.add(c.event_id); });
    return s;
  }

  function fold(ev) {
    if (state.seen.has(ev.event_id)) return false;
    state.seen.add(ev.event_id);
    var seq = ev.sequence != null ? ev.sequence : state.maxSeq + 1;
    if (seq < state.maxSeq) scheduleResync(800);
    state.maxSeq = Math.max(state.maxSeq, seq);
    var waiting = ev.waiting || {};
    if (!Object.keys(waiting).length && ev.event_type === "ticket-issued") {
      waiting = {};
      waiting[ev.service_id] = ev.waiting_ahead + 1;
    }
    Object.keys(waiting).forEach(function (sid) {
      var known = state.waiting[sid];
      if (!known || seq >= known[0]) state.waiting[sid] = [seq, waiting[sid]];
    });
    if (ev.event_type === "ticket-called") {
      var call = {
        counter_id: ev.counter_id, counter_name: ev.counter_name,
        ticket_number: ev.ticket_number, service_id: ev.service_id,
        called_at: ev.occurred_at, ticket_id: ev.ticket_id, service_name: ev.service_name,
        agency_id: ev.agency_id, call_count: ev.call_count, event_id: ev.event_id, sequence: seq
      };
      var shown = state.lastCall[call.counter_id];
      if (!shown || seq > shown.sequence) state.lastCall[call.counter_id] = call;
      state.recent.push(call);
      state.recent.sort(function (a, b) { return b.sequence - a.sequence; });
      state.recent.length = Math.min(state.recent.length, RECENT);
      return call;
    }
    if (ev.event_type === "service-completed") {
      var prev = state.completed[ev.ticket_id];
      state.completed[ev.ticket_id] = prev == null ? seq : Math.max(prev, seq);
    }
    return true;
  }

  function serving(counterId) {
    var c = state.lastCall[counterId];
    if (!c) return null;
    var done = state.completed[c.ticket_id];
    return done != null && done > c.sequence ? null : c;
  }

  // -- filtering by agency ------------------------------------------------------------

  function serviceInfo(sid) {
    var found = null;
    state.board.services.forEach(function (s) { if (s.id === sid) found = s; });
    return found;
  }
  function mine(call) { return !agency || call.agency_id === agency; }
  function counters() {
    var list = state.board.counters.filter(function (c) {
      return !agency || c.agency_ids.indexOf(agency) >= 0;
    });
    var known = new Set(list.map(function (c) { return c.id; }));
    Object.keys(state.lastCall).forEach(function (id) {
      var c = state.lastCall[id];
      if (!known.has(id) && mine(c)) { list.push({ id: id, name: c.counter_name }); known.add(id); }
    });
    return list;
  }

  // -- drawing ------------------------------------------------------------------------

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function render() {
    var b = state.board;
    $("site-name").textContent = b.site_name;
    document.title = "Papan Antrian — " + b.site_name;
    var agencyName = "";
    if (agency) b.agencies.forEach(function (a) { if (a.id === agency) agencyName = a.name; });
    $("agency-name").textContent = agencyName;

    var now = Date.now();
    var box = $("counters");
    box.textContent = "";
    counters().forEach(function (c) {
      var call = serving(c.id);
      var tile = el("div", "counter" + (call ? "" : " idle"));
      if (call && fresh[c.id] && now - fresh[c.id] < FRESH_MS) tile.classList.add("fresh");
      tile.appendChild(el("div", "name", c.name));
      tile.appendChild(el("div", "number", call ? call.ticket_number : "—"));
      tile.appendChild(el("div", "service", call ? call.service_name || "" : ""));
      box.appendChild(tile);
    });

    var recent = $("recent");
    recent.textContent = "";
    state.recent.filter(mine).forEach(function (c) {
      var li = el("li", c.call_count > 1 ? "recall" : "");
      li.appendChild(el("span", "num", c.ticket_number));
      li.appendChild(el("span", "where", c.counter_name));
      recent.appendChild(li);
    });

    var waiting = $("waiting");
    waiting.textContent = "";
    var services = b.services.filter(function (s) { return !agency || s.agency_id === agency; });
    services.forEach(function (s) {
      var w = state.waiting[s.id];
      var li = el("li");
      li.appendChild(el("span", "svc", (s.prefix ? s.prefix + " · " : "") + s.name));
      li.appendChild(el("span", "count", w ? String(w[1]) : "0"));
      waiting.appendChild(li);
    });
  }

  // -- clock --------------------------------------------------------------------------

  function tick() {
    if (!state) return;
    var tz = state.board.timezone || "UTC";
    var now = new Date();
    try {
      $("clock-time").textContent = now.toLocaleTimeString("id-ID", { timeZone: tz, hour12: false });
      $("clock-date").textContent = now.toLocaleDateString("id-ID", {
        timeZone: tz, weekday: "long", day: "numeric", month: "long", year: "numeric"
      });
    } catch (e) {
      $("clock-time").textContent = now.toLocaleTimeString();
    }
  }

  // -- sound: chime, then speech; one announcement at a time --------------------------

  var audio = null;
  var queue = [];
  var speaking = false;

  function audioContext() {
    if (!audio) {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (Ctx) audio = new Ctx();
    }
    return audio;
  }

  function chime() {
    return new Promise(function (resolve) {
      var ctx = audioContext();
      if (!ctx || ctx.state !== "running") { resolve(); return; }
      var t = ctx.currentTime;
      [[880, 0], [660, 0.35]].forEach(function (note) {
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        osc.type = "sine";
        osc.frequency.value = note[0];
        gain.gain.setValueAtTime(0.0001, t + note[1]);
        gain.gain.exponentialRampToValueAtTime(0.4, t + note[1] + 0.03);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + note[1] + 0.6);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t + note[1]);
        osc.stop(t + note[1] + 0.65);
      });
      setTimeout(resolve, 1000);
    });
  }

  function indonesianVoice() {
    if (!window.speechSynthesis) return null;
    var voices = speechSynthesis.getVoices();
    return voices.filter(function (v) { return /^id([-_]|$)/i.test(v.lang); })[0] || null;
  }

  function speak(text) {
    return new Promise(function (resolve) {
      if (!window.speechSynthesis) { resolve(); return; }
      var u = new SpeechSynthesisUtterance(text);
      u.lang = "id-ID";
      u.rate = 0.9;
      var voice = indonesianVoice();
      if (voice) u.voice = voice;
      var done = false;
      var finish = function () { if (!done) { done = true; resolve(); } };
      u.onend = finish;
      u.onerror = finish;
      setTimeout(finish, 15000); // some engines never fire onend
      speechSynthesis.speak(u);
    });
  }

  function announce(call) {
    queue.push(call);
    if (!speaking) next();
  }

  function next() {
    var call = queue.shift();
    if (!call) { speaking = false; return; }
    speaking = true;
    showFlash(call);
    var text = window.AntrianSpeech.announcement(call.ticket_number, call.counter_name);
    chime().then(function () { return speak(text); }).then(function () {
      setTimeout(next, 600);
    });
  }

  var flashTimer = null;
  function showFlash(call) {
    $("flash-number").textContent = call.ticket_number;
    $("flash-counter").textContent = "➜ " + call.counter_name;
    $("flash").hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { $("flash").hidden = true; }, FLASH_MS);
  }

  function offerSound() {
    var ctx = audioContext();
    if (ctx && ctx.state === "suspended") {
      var button = $("sound");
      button.hidden = false;
      button.onclick = function () {
        ctx.resume();
        if (window.speechSynthesis) speechSynthesis.speak(new SpeechSynthesisUtterance(""));
        button.hidden = true;
      };
    }
  }

  // -- the stream ---------------------------------------------------------------------

  function onSnapshot(board) {
    var previous = state;
    state = fromSnapshot(board);
    var recentlyMs = Date.now() - 120000;
    board.recent_calls.slice().reverse().forEach(function (c) {
      if (announced.has(c.event_id)) return;
      announced.add(c.event_id);
      // first load: history stays quiet; after a reconnect, speak the calls just missed
      if (!firstSnapshot && previous && mine(c) && Date.parse(c.called_at) > recentlyMs) {
        fresh[c.counter_id] = Date.now();
        announce(c);
      }
    });
    firstSnapshot = false;
    render();
    tick();
  }

  function onEvent(e) {
    if (!state) return;
    var ev;
    try { ev = JSON.parse(e.data); } catch (err) { return; }
    var result = fold(ev);
    if (result && typeof result === "object" && !announced.has(result.event_id)) {
      announced.add(result.event_id);
      if (mine(result) && serving(result.counter_id) === result) {
        fresh[result.counter_id] = Date.now();
        announce(result);
      }
    }
    render();
  }

  function scheduleResync(delayMs) {
    clearTimeout(resyncTimer);
    resyncTimer = setTimeout(function () {
      fetch(base, { cache: "no-store" }).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (board) {
        if (!board) return;
        board.recent_calls.forEach(function (c) { announced.add(c.event_id); });
        state = fromSnapshot(board);
        render();
      }).catch(function () {});
    }, delayMs);
  }

  function connect() {
    var source = new EventSource(base + "/stream");
    source.addEventListener("snapshot", function (e) {
      $("offline").hidden = true;
      onSnapshot(JSON.parse(e.data));
    });
    ["ticket-issued", "ticket-called", "service-completed"].forEach(function (type) {
      source.addEventListener(type, onEvent);
    });
    source.onopen = function () { $("offline").hidden = true; };
    source.onerror = function () {
      $("offline").hidden = false;
      if (source.readyState === EventSource.CLOSED) {
        // the server refused (e.g. 404 or restarting): EventSource gives up, so we retry
        setTimeout(connect, 5000);
      }
    };
  }

  setInterval(tick, 1000);
  setInterval(function () { if (state) render(); }, 2000);      // ends the "fresh" highlight
  setInterval(function () { scheduleResync(0); }, 5 * 60000); // safety net, and midnight
  if (window.speechSynthesis) speechSynthesis.onvoiceschanged = function () {};
  offerSound();
  connect();
})();
