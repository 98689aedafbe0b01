/* Lobby board: folds the SSE stream into the screen and announces each call.

   Folding: the same rules as services/display/board.py: decisions by `sequence`,
   duplicates by event_id. An event older than one already seen (topics are read
   independently) makes the page re-read the board JSON, which the server folds exactly.

   Announcing: a chime, then the call in Indonesian (static/speech.js has the words): by
   the browser's id-ID voice when it has one, else as WAV from the display's offline voice
   (/api/sites/{site}/announcement.wav), else the chime and the highlight alone. One at a
   time, in order, never overlapping. A call is news only once, and only if it is newer
   than every call this page has known (or made in the last seconds): a display that
   restarts replays today's events, and those must stay quiet. A call heard of too late (a broker outage held it) is shown,
   not spoken.

   Staying up: EventSource reconnects by itself (with Last-Event-ID); a watchdog reads
   the board JSON every WATCH_MS, shows the 'offline' mark when the display does not
   answer, reopens a stream that went silent, and learns the server's clock (the lobby
   PC's may be wrong). After an upgrade of the display the page reloads itself. */
(function () {
  "use strict";

  var RECENT = 10;           // calls kept, as the server keeps them
  var WAITING_ALL = 8;       // up to this many services, all are listed (zeros too)
  var FLASH_MS = 7000;       // the newest call's overlay stays at least this long
  var FRESH_MS = 10000;      // its tile blinks this long
  var STALE_MS = 90000;      // a call older than this when its turn to be spoken comes is not spoken
  var MISSED_MS = 120000;    // after a reconnect, calls missed this recently are announced
  var JUST_NOW_MS = 30000;   // a call this recent is news even if its sequence is not
  var PAUSE_MS = 700;        // silence between two announcements
  var WATCH_MS = 15000;
  var UPGRADE_CHECK_MS = 5 * 60000;
  var OFFLINE_VOICE_RETRY_MS = 5 * 60000;

  var siteId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
  var agency = new URLSearchParams(location.search).get("agency");
  var sitePath = "/api/sites/" + encodeURIComponent(siteId);
  var base = sitePath + "/board";
  var words = window.AntrianSpeech;

  var state = null;           // the board: snapshot plus events folded since
  var announced = new Set();  // event ids already considered for speaking
  var highestCall = null;     // highest call sequence this page has known (null: none yet)
  var boardDay = null;
  var resyncTimer = null;
  var fresh = {};             // counter_id -> time its call arrived
  var skewMs = 0;             // server clock minus ours
  var source = null;
  var streamOpen = false;
  var serverAnswers = true;
  var watchFailures = 0;
  var lagging = 0;
  var pageTag = null;

  var $ = function (id) { return document.getElementById(id); };
  var now = function () { return Date.now() + skewMs; };

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

  /* The call is what its counter shows now (not replaced, not completed). */
  function standing(call) {
    var shown = serving(call.counter_id);
    return shown !== null && shown.event_id === call.event_id;
  }

  // -- filtering by agency ------------------------------------------------------------

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

  function px(value) { return Math.max(8, Math.floor(value)) + "px"; }

  function area(node) {
    var r = node.getBoundingClientRect ? node.getBoundingClientRect() : null;
    return r && r.width > 0 && r.height > 0 ? r : { width: 1240, height: 800 };
  }

  /* Counter tiles as large as the screen allows: the column count that gives the
     biggest ticket number for this many counters, fonts sized to the tile. */
  function layoutCounters(box, list, numberChars) {
    var n = Math.max(1, list.length);
    var size = area(box);
    var gap = Math.max(8, size.width * 0.012);
    var best = null;
    for (var cols = 1; cols <= n; cols++) {
      var rows = Math.ceil(n / cols);
      var w = (size.width - gap * (cols - 1)) / cols;
      var h = (size.height - gap * (rows - 1)) / rows;
      // bold digits are about 0.7 em wide in the fonts lobby PCs have (DejaVu, Segoe)
      var number = Math.min(h * 0.52, (w * 0.9) / (0.68 * numberChars));
      if (!best || number > best.number) best = { cols: cols, rows: rows, w: w, h: h, number: number };
    }
    // each counter's name as large as it fits ("Loket 7" larger than "Meja Informasi")
    var name = Math.min(best.h * 0.2, best.number * 0.62);
    Array.prototype.forEach.call(box.children, function (tile, i) {
      var chars = Math.max(6, String(list[i].name).length);
      tile.style.setProperty("--name-size", px(Math.min(name, (best.w * 0.9) / (0.62 * chars))));
    });
    box.style.setProperty("--cols", String(best.cols));
    box.style.setProperty("--rows", String(best.rows));
    box.style.setProperty("--gap", px(gap));
    box.style.setProperty("--number-size", px(best.number));
    box.style.setProperty("--service-size", px(Math.min(name * 0.62, best.h * 0.1)));
  }

  function layoutWaiting(box, count) {
    var size = area(box.parentNode || box); // the list takes what it needs of its section
    var cols = count > 10 ? 2 : 1;
    var rows = Math.max(1, Math.ceil(count / cols));
    box.style.setProperty("--cols", String(cols));
    box.style.setProperty("--row-size", px(Math.min(size.height * 0.06 + 20, (size.height / rows) * 0.62)));
  }

  function render() {
    var b = state.board;
    $("site-name").textContent = b.site_name;
    var agencyName = "";
    if (agency) b.agencies.forEach(function (a) { if (a.id === agency) agencyName = a.name; });
    $("agency-name").textContent = agencyName;
    document.title = "Papan Antrian — " + (agencyName ? agencyName + " — " : "") + b.site_name;

    var t = Date.now();
    var box = $("counters");
    var list = counters();
    var numberChars = 5;
    box.textContent = "";
    list.forEach(function (c) {
      var call = serving(c.id);
      var tile = el("div", "counter" + (call ? "" : " idle"));
      tile.setAttribute("data-counter", c.id);
      if (call && fresh[c.id] && t - fresh[c.id] < FRESH_MS) tile.classList.add("fresh");
      tile.appendChild(el("div", "name", c.name));
      tile.appendChild(el("div", "number", call ? call.ticket_number : "—"));
      tile.appendChild(el("div", "service", call ? call.service_name || "" : ""));
      if (call) numberChars = Math.max(numberChars, call.ticket_number.length);
      box.appendChild(tile);
    });
    layoutCounters(box, list, numberChars);

    var recent = $("recent");
    recent.textContent = "";
    state.recent.filter(mine).slice(0, 6).forEach(function (c) {
      var li = el("li", c.call_count > 1 ? "recall" : "");
      li.appendChild(el("span", "num", c.ticket_number));
      li.appendChild(el("span", "where", c.counter_name));
      recent.appendChild(li);
    });

    var waiting = $("waiting");
    waiting.textContent = "";
    var services = b.services.filter(function (s) { return !agency || s.agency_id === agency; });
    services.sort(function (x, y) { return String(x.prefix || x.id).localeCompare(String(y.prefix || y.id)); });
    var count = function (s) { var w = state.waiting[s.id]; return w ? w[1] : 0; };
    // a whole MPP has twenty services: list those with people waiting, in large type
    var listed = services.length > WAITING_ALL ? services.filter(function (s) { return count(s) > 0; }) : services;
    listed.forEach(function (s) {
      var n = count(s);
      var li = el("li", n ? "" : "none");
      li.appendChild(el("span", "prefix", s.prefix || ""));
      li.appendChild(el("span", "svc", s.name));
      li.appendChild(el("span", "count", String(n)));
      waiting.appendChild(li);
    });
    var rest = services.length - listed.length;
    $("waiting-rest").textContent = !rest ? "" :
      listed.length ? "Layanan lain: tidak ada yang menunggu" : "Tidak ada yang menunggu";
    layoutWaiting(waiting, listed.length);
  }

  // -- clock (the site's time zone, the server's time) --------------------------------

  var ZONES = { "Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT" };

  function tick() {
    if (!state) return;
    var tz = state.board.timezone || "UTC";
    var at = new Date(now());
    try {
      var parts = {};
      new Intl.DateTimeFormat("id-ID", {
        timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
      }).formatToParts(at).forEach(function (p) { parts[p.type] = p.value; });
      $("clock-time").textContent = parts.hour + "." + parts.minute;
      $("clock-seconds").textContent = "." + parts.second;
      $("clock-zone").textContent = ZONES[tz] || "";
      $("clock-date").textContent = at.toLocaleDateString("id-ID", {
        timeZone: tz, weekday: "long", day: "numeric", month: "long", year: "numeric"
      });
    } catch (e) {
      $("clock-time").textContent = at.toLocaleTimeString();
    }
  }

  // -- sound: chime, then speech; one announcement at a time --------------------------

  var audio = null;
  var queue = [];
  var speaking = false;
  var offlineVoiceDownUntil = 0;

  function audioContext() {
    if (!audio) {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (Ctx) {
        try { audio = new Ctx(); } catch (e) { audio = null; }
      }
    }
    return audio;
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function chime() {
    var ctx = audioContext();
    if (!ctx || ctx.state !== "running") return wait(300);
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
    return wait(1000);
  }

  /* An id-ID voice, a local one first (a network voice fails without internet). */
  function indonesianVoice() {
    if (!window.speechSynthesis || !speechSynthesis.getVoices) return null;
    var voices = (speechSynthesis.getVoices() || []).filter(function (v) {
      return /^id([-_]|$)/i.test(v.lang || "");
    });
    var local = voices.filter(function (v) { return v.localService !== false; });
    return local[0] || voices[0] || null;
  }

  /* Browsers load their voices lazily: wait a moment for them the first time. */
  function voicesReady() {
    if (!window.speechSynthesis || !speechSynthesis.getVoices) return Promise.resolve();
    if ((speechSynthesis.getVoices() || []).length) return Promise.resolve();
    return new Promise(function (resolve) {
      var done = false;
      var finish = function () { if (!done) { done = true; resolve(); } };
      if (speechSynthesis.addEventListener) speechSynthesis.addEventListener("voiceschanged", finish);
      setTimeout(finish, 1500);
    });
  }

  /* Speak with the browser's voice: true if it said it, false if it failed. */
  function speakBrowser(text, voice) {
    return new Promise(function (resolve) {
      var u = new SpeechSynthesisUtterance(text);
      u.lang = "id-ID";
      u.voice = voice;
      u.rate = 0.9;
      var done = false;
      var finish = function (ok) { if (!done) { done = true; resolve(ok); } };
      u.onend = function () { finish(true); };
      u.onerror = function (e) { finish(e && e.error === "interrupted"); };
      setTimeout(function () { finish(true); }, 20000); // some engines never fire onend
      try { speechSynthesis.speak(u); } catch (e) { finish(false); }
    });
  }

  /* Play the display's offline voice: true if it played. */
  function speakOffline(call) {
    if (Date.now() < offlineVoiceDownUntil || !call.counter_id) return Promise.resolve(false);
    var url = sitePath + "/announcement.wav?ticket=" + encodeURIComponent(call.ticket_number) +
      "&counter=" + encodeURIComponent(call.counter_id);
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, 8000);
    return fetch(url, controller ? { signal: controller.signal } : {}).then(function (r) {
      clearTimeout(timer);
      if (r.status === 503) offlineVoiceDownUntil = Date.now() + OFFLINE_VOICE_RETRY_MS;
      if (!r.ok) return false;
      return r.blob().then(function (blob) {
        return new Promise(function (resolve) {
          var src = URL.createObjectURL(blob);
          var player = new Audio(src);
          var done = false;
          var finish = function (ok) {
            if (done) return;
            done = true;
            URL.revokeObjectURL(src);
            resolve(ok);
          };
          player.addEventListener("ended", function () { finish(true); });
          player.addEventListener("error", function () { finish(false); });
          setTimeout(function () { finish(true); }, 30000);
          var playing = player.play();
          if (playing && playing.catch) {
            playing.catch(function () { offerSound(true); finish(false); });
          }
        });
      });
    }).catch(function () { clearTimeout(timer); return false; });
  }

  function announce(call) {
    queue.push(call);
    if (!speaking) next();
  }

  function next() {
    var call = queue.shift();
    if (!call) { speaking = false; endFlashSoon(); return; }
    speaking = true;
    if (now() - Date.parse(call.called_at) > STALE_MS) { next(); return; } // heard of too late
    showFlash(call);
    var text = words.announcement(call.ticket_number, call.counter_name);
    Promise.all([chime(), voicesReady()]).then(function () {
      var voice = indonesianVoice();
      if (voice) {
        return speakBrowser(text, voice).then(function (ok) { return ok || speakOffline(call); });
      }
      return speakOffline(call);
    }).catch(function () {}).then(function () {
      setTimeout(next, PAUSE_MS);
    });
  }

  var flashTimer = null;
  var flashShownAt = 0;
  function showFlash(call) {
    $("flash-number").textContent = call.ticket_number;
    $("flash-counter").textContent = call.counter_name;
    $("flash-service").textContent = call.service_name || "";
    $("flash").hidden = false;
    flashShownAt = Date.now();
    clearTimeout(flashTimer);
  }
  function endFlashSoon() {
    clearTimeout(flashTimer);
    var left = Math.max(0, FLASH_MS - (Date.now() - flashShownAt));
    flashTimer = setTimeout(function () { if (!speaking) $("flash").hidden = true; }, left);
  }

  /* Browsers keep sound off until someone touches the page (lobby PCs should start
     Chromium with --autoplay-policy=no-user-gesture-required): offer a button. */
  function offerSound(force) {
    var ctx = audioContext();
    if (!force && !(ctx && ctx.state === "suspended")) return;
    var button = $("sound");
    button.hidden = false;
    button.onclick = function () {
      if (ctx && ctx.resume) ctx.resume();
      if (window.speechSynthesis && window.SpeechSynthesisUtterance) {
        try { speechSynthesis.speak(new SpeechSynthesisUtterance("")); } catch (e) { /* ignore */ }
      }
      button.hidden = true;
    };
    if (ctx && ctx.addEventListener) {
      ctx.addEventListener("statechange", function () { if (ctx.state === "running") button.hidden = true; });
    }
  }

  // -- news ---------------------------------------------------------------------------

  /* A call not considered before, and newer than every call this page has known, or
     (if the queue's sequence went back: its database was restored) made just now. */
  function isNews(call) {
    if (announced.has(call.event_id)) return false;
    announced.add(call.event_id);
    if (highestCall === null || call.sequence > highestCall) {
      highestCall = call.sequence;
      return true;
    }
    return now() - Date.parse(call.called_at) < JUST_NOW_MS;
  }

  function heard(call) {
    fresh[call.counter_id] = Date.now();
    announce(call);
  }

  // -- the stream ---------------------------------------------------------------------

  function applySnapshot(board) {
    var first = state === null || board.day !== boardDay;
    state = fromSnapshot(board);
    boardDay = board.day;
    var calls = board.recent_calls.slice().sort(function (a, b) { return a.sequence - b.sequence; });
    if (first) {
      // a new page or a new day: what is on the board is history, and stays quiet
      calls.forEach(function (c) { announced.add(c.event_id); });
      highestCall = board.last_sequence || 0;
      calls.forEach(function (c) { highestCall = Math.max(highestCall, c.sequence); });
    } else {
      // back after a blink: announce the calls just missed that still stand
      calls.forEach(function (c) {
        if (!isNews(c)) return;
        if (mine(c) && standing(c) && now() - Date.parse(c.called_at) < MISSED_MS) {
          heard(c);
        }
      });
    }
    render();
    tick();
  }

  function onEvent(e) {
    if (!state) return;
    var ev;
    try { ev = JSON.parse(e.data); } catch (err) { return; }
    var result = fold(ev);
    if (result && typeof result === "object" && isNews(result)) {
      if (mine(result) && standing(result)) heard(result);
    }
    render();
  }

  function fetchBoard() {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, 5000);
    return fetch(base, { cache: "no-store", signal: controller ? controller.signal : undefined })
      .then(function (r) {
        clearTimeout(timer);
        var date = r.headers && r.headers.get ? Date.parse(r.headers.get("Date") || "") : NaN;
        if (!isNaN(date)) skewMs = date + 500 - Date.now(); // Date has whole seconds
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }, function (err) { clearTimeout(timer); throw err; });
  }

  function scheduleResync(delayMs) {
    clearTimeout(resyncTimer);
    resyncTimer = setTimeout(function () {
      fetchBoard().then(applySnapshot).catch(function () {});
    }, delayMs);
  }

  function showOffline() {
    $("offline").hidden = streamOpen && serverAnswers;
  }

  function connect() {
    if (source) source.close();
    var es = new EventSource(base + "/stream");
    source = es;
    es.addEventListener("snapshot", function (e) {
      if (source !== es) return;
      streamOpen = true;
      serverAnswers = true;
      lagging = 0;
      showOffline();
      applySnapshot(JSON.parse(e.data));
    });
    ["ticket-issued", "ticket-called", "service-completed"].forEach(function (type) {
      es.addEventListener(type, function (e) { if (source === es) onEvent(e); });
    });
    es.onopen = function () { if (source === es) { streamOpen = true; showOffline(); } };
    es.onerror = function () {
      if (source !== es) return;
      streamOpen = false;
      showOffline();
      if (es.readyState === EventSource.CLOSED) {
        // the server refused (e.g. 404 or restarting): EventSource gives up, so we retry
        setTimeout(function () { if (source === es) connect(); }, 3000);
      }
    };
  }

  /* The stream's own reconnect misses a connection that died silently (a cable pulled
     between two switches): ask the board JSON now and then. */
  function watch() {
    fetchBoard().then(function (board) {
      serverAnswers = true;
      watchFailures = 0;
      if (state && board.day !== boardDay) {
        applySnapshot(board);
      } else if (state && streamOpen && (board.last_sequence || 0) > state.maxSeq) {
        lagging += 1;
        if (lagging >= 2) { lagging = 0; connect(); } // events stopped reaching us
      } else {
        lagging = 0;
      }
      showOffline();
    }).catch(function () {
      serverAnswers = false;
      watchFailures += 1;
      showOffline();
      if (watchFailures >= 2 && streamOpen) { streamOpen = false; connect(); }
    });
  }

  /* A new release of the display changes the page's ETag: reload, between announcements. */
  function checkUpgrade() {
    fetch(location.pathname + location.search, { cache: "no-store" }).then(function (r) {
      var tag = r.ok && r.headers ? r.headers.get("ETag") : null;
      if (!tag) return;
      if (pageTag === null) pageTag = tag;
      else if (tag !== pageTag && !speaking && queue.length === 0) location.reload();
    }).catch(function () {});
  }

  var layoutTimer = null;
  if (window.addEventListener) {
    window.addEventListener("resize", function () {
      clearTimeout(layoutTimer);
      layoutTimer = setTimeout(function () { if (state) render(); }, 200);
    });
  }

  setInterval(tick, 1000);
  setInterval(function () { if (state) render(); }, 2000);    // ends the "fresh" highlight
  setInterval(watch, WATCH_MS);
  setInterval(function () { scheduleResync(0); }, 5 * 60000); // safety net
  setInterval(checkUpgrade, UPGRADE_CHECK_MS);
  if (window.speechSynthesis && speechSynthesis.getVoices) speechSynthesis.getVoices(); // start loading
  offerSound(false);
  connect();
  watch();
  checkUpgrade();
})();
