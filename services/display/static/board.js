/* Lobby board, made for a 1920×1080 TV read from 10 m: the page's wiring. The display
   folds the events (services/display/board.py) and streams a snapshot, then each event
   with `board`, what it changed; this page applies those (state.js), draws (view.js) and
   announces (voice.js, speech.js). Words: i18n.js.

   Staying up: EventSource reconnects by itself (with Last-Event-ID); a watchdog reads the
   board JSON every WATCH_MS, shows the 'offline' mark when the display does not answer,
   reopens a stream that went silent, takes the site's opening state from it, and learns
   the server's clock (the lobby PC's may be wrong). After an upgrade of the display the
   page reloads itself, between announcements. */

import { makeI18n } from "./i18n.js";
import { makeSpeech } from "./speech.js";
import { BoardState, ofAgency } from "./state.js";
import { makeView } from "./view.js";
import { makeVoice } from "./voice.js";

const MISSED_MS = 120000;   // after a reconnect, calls missed this recently are announced
const WATCH_MS = 15000;
const UPGRADE_CHECK_MS = 5 * 60000;
const EVENTS = ["ticket-issued", "ticket-called", "service-completed"];

function start() {
  const params = new URLSearchParams(location.search);
  const siteId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
  const agency = params.get("agency");
  const sitePath = `/api/sites/${encodeURIComponent(siteId)}`;
  const base = `${sitePath}/board`;
  const i18n = makeI18n(params.get("lang") || "id");
  const view = makeView({ i18n, agency });
  const page = { state: null, skewMs: 0, source: null, streamOpen: false, serverAnswers: true,
    watchFailures: 0, lagging: 0, tag: null };
  const now = () => Date.now() + page.skewMs;
  const speech = makeSpeech({ sitePath, onBlocked: () => offerSound() });
  const voice = makeVoice({ speech, view, now, standing: (call) => page.state !== null && page.state.standing(call) });

  function offerSound() {
    view.offerSound(() => speech.unlock());
    speech.onRunning(() => view.hideSound());
  }

  function draw() { if (page.state) view.render(page.state); }

  function hear(call) {
    if (voice.offer(call)) view.markFresh(call.counter_id);
  }

  function applySnapshot(board) {
    const first = page.state === null || board.day !== page.state.day;
    page.state = new BoardState(board);
    const calls = board.recent_calls.slice().sort((a, b) => a.sequence - b.sequence);
    if (first) {
      voice.history(calls, board.last_sequence); // what is on the board is history
    } else {
      // back after a blink: announce the calls just missed that still stand
      for (const c of calls) {
        if (ofAgency(c, agency) && page.state.standing(c) && now() - Date.parse(c.called_at) < MISSED_MS) hear(c);
      }
    }
    voice.recheck();
    draw();
    view.tick(page.state, now());
  }

  function onEvent(e) {
    if (!page.state) return;
    let ev;
    try { ev = JSON.parse(e.data); } catch (err) { return; }
    if (!page.state.apply(ev.board)) { resync(); return; }
    voice.recheck();
    const shown = ev.board && ev.board.now_serving && ev.board.now_serving[ev.counter_id];
    if (ev.event_type === "ticket-called" && shown && shown.event_id === ev.event_id && ofAgency(shown, agency)) {
      hear(shown);
    }
    draw();
  }

  async function fetchBoard() {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    try {
      const r = await fetch(base, { cache: "no-store", signal: controller.signal });
      const date = Date.parse(r.headers.get("Date") || "");
      if (!Number.isNaN(date)) page.skewMs = date + 500 - Date.now(); // Date has whole seconds
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return await r.json();
    } finally {
      clearTimeout(timer);
    }
  }

  function resync() { fetchBoard().then(applySnapshot).catch(() => {}); }

  function showOffline() { view.offline(!(page.streamOpen && page.serverAnswers)); }

  function connect() {
    if (page.source) page.source.close();
    const es = new EventSource(`${base}/stream`);
    page.source = es;
    es.addEventListener("snapshot", (e) => {
      if (page.source !== es) return;
      Object.assign(page, { streamOpen: true, serverAnswers: true, lagging: 0 });
      showOffline();
      applySnapshot(JSON.parse(e.data));
    });
    for (const type of EVENTS) es.addEventListener(type, (e) => { if (page.source === es) onEvent(e); });
    es.onopen = () => { if (page.source === es) { page.streamOpen = true; showOffline(); } };
    es.onerror = () => {
      if (page.source !== es) return;
      page.streamOpen = false;
      showOffline();
      // the server refused (e.g. 404 or restarting): EventSource gives up, so we retry
      if (es.readyState === EventSource.CLOSED) setTimeout(() => { if (page.source === es) connect(); }, 3000);
    };
  }

  /* The stream's own reconnect misses a connection that died silently (a cable pulled
     between two switches): ask the board JSON now and then. */
  async function watch() {
    try {
      const board = await fetchBoard();
      Object.assign(page, { serverAnswers: true, watchFailures: 0 });
      const state = page.state;
      if (state && board.day !== state.day) {
        applySnapshot(board);
      } else if (state) {
        state.opening = board.opening || null;
        draw();
        if (page.streamOpen && (board.last_sequence || 0) > state.lastSequence) {
          page.lagging += 1;
          if (page.lagging >= 2) { page.lagging = 0; connect(); } // events stopped reaching us
        } else {
          page.lagging = 0;
        }
      }
    } catch (e) {
      page.serverAnswers = false;
      page.watchFailures += 1;
      if (page.watchFailures >= 2 && page.streamOpen) { page.streamOpen = false; connect(); }
    }
    showOffline();
  }

  async function checkUpgrade() {
    try {
      const r = await fetch(location.pathname + location.search, { cache: "no-store" });
      const tag = r.ok ? r.headers.get("ETag") : null;
      if (!tag) return;
      if (page.tag === null) page.tag = tag;
      else if (tag !== page.tag && !voice.busy()) location.reload();
    } catch (e) { /* next time */ }
  }

  let layoutTimer = null;
  window.addEventListener("resize", () => { clearTimeout(layoutTimer); layoutTimer = setTimeout(draw, 200); });
  setInterval(() => { if (page.state) view.tick(page.state, now()); }, 1000);
  setInterval(draw, 2000); // ends the "fresh" highlight
  setInterval(watch, WATCH_MS);
  setInterval(resync, 5 * 60000); // safety net
  setInterval(checkUpgrade, UPGRADE_CHECK_MS);
  if (window.speechSynthesis && speechSynthesis.getVoices) speechSynthesis.getVoices(); // start loading
  if (speech.needsTap()) offerSound();
  connect();
  watch();
  checkUpgrade();
}

start();
