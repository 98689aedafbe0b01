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
import { Speech } from "./speech.js";
import { BoardState, ofAgency } from "./state.js";
import { View } from "./view.js";
import { makeVoice } from "./voice.js";

const MISSED_MS = 120000;   // after a reconnect, calls missed this recently are announced
const WATCH_MS = 15000;
const UPGRADE_CHECK_MS = 5 * 60000;
const EVENTS = ["ticket-issued", "ticket-called", "service-completed", "site-status-changed"];

class BoardPage {
  constructor() {
    const params = new URLSearchParams(location.search);
    const siteId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
    this.agency = params.get("agency");
    const sitePath = `/api/sites/${encodeURIComponent(siteId)}`;
    this.base = `${sitePath}/board`;
    this.view = new View({ i18n: makeI18n(params.get("lang") || "id"), agency: this.agency });
    this.state = null;
    this.skewMs = 0;
    this.source = null;
    this.streamOpen = false;
    this.serverAnswers = true;
    this.watchFailures = 0;
    this.lagging = 0;
    this.tag = null;
    this.now = () => Date.now() + this.skewMs;
    this.speech = new Speech({ sitePath, onBlocked: () => this.offerSound() });
    this.voice = makeVoice({
      speech: this.speech,
      view: this.view,
      now: this.now,
      standing: (call) => this.state !== null && this.state.standing(call),
    });
  }

  offerSound() {
    this.view.offerSound(() => this.speech.unlock());
    this.speech.onRunning(() => this.view.hideSound());
  }

  draw() { if (this.state) this.view.render(this.state); }

  hear(call) { if (this.voice.offer(call)) this.view.markFresh(call.counter_id); }

  applySnapshot(board) {
    const first = this.state === null || board.day !== this.state.day;
    this.state = new BoardState(board);
    const calls = board.recent_calls.slice().sort((a, b) => a.sequence - b.sequence);
    if (first) {
      this.voice.history(calls, board.last_sequence); // what is on the board is history
    } else {
      // back after a blink: announce the calls just missed that still stand
      for (const c of calls) {
        const recent = this.now() - Date.parse(c.called_at) < MISSED_MS;
        if (ofAgency(c, this.agency) && this.state.standing(c) && recent) this.hear(c);
      }
    }
    this.voice.recheck();
    this.draw();
    this.view.tick(this.state, this.now());
  }

  onEvent(e) {
    if (!this.state) return;
    let ev;
    try { ev = JSON.parse(e.data); } catch (err) { return; }
    if (!this.state.apply(ev.board)) { this.resync(); return; }
    this.voice.recheck();
    const shown = ev.board && ev.board.now_serving && ev.board.now_serving[ev.counter_id];
    const called = ev.event_type === "ticket-called" && shown && shown.event_id === ev.event_id;
    if (called && ofAgency(shown, this.agency)) this.hear(shown);
    this.draw();
  }

  async fetchBoard() {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    try {
      const r = await fetch(this.base, { cache: "no-store", signal: controller.signal });
      const date = Date.parse(r.headers.get("Date") || "");
      if (!Number.isNaN(date)) this.skewMs = date + 500 - Date.now(); // Date has whole seconds
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return await r.json();
    } finally {
      clearTimeout(timer);
    }
  }

  resync() { this.fetchBoard().then((b) => this.applySnapshot(b)).catch(() => {}); }

  showOffline() { this.view.offline(!(this.streamOpen && this.serverAnswers)); }

  connect() {
    if (this.source) this.source.close();
    const es = new EventSource(`${this.base}/stream`);
    this.source = es;
    es.addEventListener("snapshot", (e) => {
      if (this.source !== es) return;
      Object.assign(this, { streamOpen: true, serverAnswers: true, lagging: 0 });
      this.showOffline();
      this.applySnapshot(JSON.parse(e.data));
    });
    for (const type of EVENTS) es.addEventListener(type, (e) => { if (this.source === es) this.onEvent(e); });
    es.onopen = () => { if (this.source === es) { this.streamOpen = true; this.showOffline(); } };
    es.onerror = () => {
      if (this.source !== es) return;
      this.streamOpen = false;
      this.showOffline();
      // the server refused (e.g. 404 or restarting): EventSource gives up, so we retry
      if (es.readyState === EventSource.CLOSED) setTimeout(() => { if (this.source === es) this.connect(); }, 3000);
    };
  }

  /* The stream's own reconnect misses a connection that died silently (a cable pulled
     between two switches): ask the board JSON now and then. */
  async watch() {
    try {
      const board = await this.fetchBoard();
      Object.assign(this, { serverAnswers: true, watchFailures: 0 });
      const state = this.state;
      if (state && board.day !== state.day) {
        this.applySnapshot(board);
      } else if (state) {
        state.opening = board.opening || null;
        this.draw();
        const behind = this.streamOpen && (board.last_sequence || 0) > state.lastSequence;
        this.lagging = behind ? this.lagging + 1 : 0;
        if (this.lagging >= 2) { this.lagging = 0; this.connect(); } // events stopped reaching us
      }
    } catch (e) {
      this.serverAnswers = false;
      this.watchFailures += 1;
      if (this.watchFailures >= 2 && this.streamOpen) { this.streamOpen = false; this.connect(); }
    }
    this.showOffline();
  }

  async checkUpgrade() {
    try {
      const r = await fetch(location.pathname + location.search, { cache: "no-store" });
      const tag = r.ok ? r.headers.get("ETag") : null;
      if (!tag) return;
      if (this.tag === null) this.tag = tag;
      else if (tag !== this.tag && !this.voice.busy()) location.reload();
    } catch (e) { /* next time */ }
  }

  start() {
    let layoutTimer = null;
    window.addEventListener("resize", () => { clearTimeout(layoutTimer); layoutTimer = setTimeout(() => this.draw(), 200); });
    setInterval(() => { if (this.state) this.view.tick(this.state, this.now()); }, 1000);
    setInterval(() => this.draw(), 2000); // ends the "fresh" highlight
    setInterval(() => this.watch(), WATCH_MS);
    setInterval(() => this.resync(), 5 * 60000); // safety net
    setInterval(() => this.checkUpgrade(), UPGRADE_CHECK_MS);
    if (window.speechSynthesis && speechSynthesis.getVoices) speechSynthesis.getVoices(); // start loading
    if (this.speech.needsTap()) this.offerSound();
    this.connect();
    this.watch();
    this.checkUpgrade();
  }
}

new BoardPage().start();
