/* Runs static/board.js under node with a tiny fake DOM, EventSource, speech engine and
   fetch, feeds it a snapshot and events from stdin (JSON), and prints what the screen
   shows and what it said.

   Input: {path, search, snapshot, events: [[type, event]...], voices?: [{lang, name}],
           now?: ms (the clock; default: 5 s after the newest event),
           wav?: HTTP status of the offline voice (default 503),
           reconnect?: {snapshot, events}  (the stream drops and comes back with these)} */
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const STATIC = process.argv[2];
const input = JSON.parse(fs.readFileSync(0, "utf8"));

function element(id) {
  return {
    id, hidden: false, textContent: "", className: "", children: [], onclick: null, attributes: {},
    classList: { items: new Set(), add(c) { this.items.add(c); }, remove(c) { this.items.delete(c); } },
    style: { props: {}, setProperty(k, v) { this.props[k] = v; } },
    setAttribute(k, v) { this.attributes[k] = v; },
    getBoundingClientRect() { return { width: 1240, height: 800 }; },
    appendChild(child) { this.children.push(child); return child; },
    addEventListener() {},
    set textContent(v) { this._text = v; this.children = []; },
    get textContent() { return this._text; },
  };
}
const elements = {};
const spoken = [];
const fetched = [];
const played = [];
let source = null;

class FakeEventSource {
  constructor(url) { this.url = url; this.listeners = {}; this.readyState = 1; source = this; }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  emit(type, data) { (this.listeners[type] || []).forEach((fn) => fn({ data })); }
  close() { this.readyState = 2; }
}
FakeEventSource.CLOSED = 2;

const newest = Math.max(0, ...input.events.map(([, e]) => Date.parse(e.occurred_at) || 0),
  ...((input.reconnect && input.reconnect.snapshot.recent_calls) || []).map((c) => Date.parse(c.called_at)));
const NOW = input.now || (newest ? newest + 5000 : Date.now());
class FixedDate extends Date {
  constructor(...args) { super(...(args.length ? args : [NOW])); }
  static now() { return NOW; }
}

class FakeAudio {
  constructor(src) { this.src = src; this.listeners = {}; }
  addEventListener(type, fn) { this.listeners[type] = fn; }
  play() {
    played.push(this.src);
    setImmediate(() => this.listeners.ended && this.listeners.ended());
    return Promise.resolve();
  }
}

function fakeFetch(url) {
  fetched.push(String(url));
  if (String(url).includes("/announcement.wav")) {
    const status = input.wav || 503;
    return Promise.resolve({
      ok: status === 200, status, headers: { get: () => null },
      blob: () => Promise.resolve({ url: String(url) }),
    });
  }
  return Promise.reject(new Error("offline"));
}

const timers = [];
const sandbox = {
  console, JSON, Date: FixedDate, Math, Promise, Set, Object, Number, String, URLSearchParams, Intl,
  location: { pathname: input.path, search: input.search || "", reload() {} },
  document: {
    title: "",
    getElementById: (id) => (elements[id] = elements[id] || element(id)),
    createElement: (tag) => element(tag),
  },
  EventSource: FakeEventSource,
  SpeechSynthesisUtterance: function (text) { this.text = text; },
  speechSynthesis: {
    getVoices: () => input.voices || [{ lang: "id-ID", name: "Damayanti", localService: true }],
    addEventListener() {},
    speak(u) { if (u.text) spoken.push(u.text); setImmediate(() => u.onend && u.onend()); },
  },
  Audio: FakeAudio,
  URL: { createObjectURL: (blob) => blob.url, revokeObjectURL() {} },
  setTimeout: (fn, ms) => { timers.push(fn); return timers.length; },
  clearTimeout: () => {},
  setInterval: () => 0,
  addEventListener() {},
  fetch: fakeFetch,
};
sandbox.window = sandbox;
vm.createContext(sandbox);
for (const file of ["speech.js", "board.js"]) {
  vm.runInContext(fs.readFileSync(path.join(STATIC, file), "utf8"), sandbox, { filename: file });
}

async function settle() {
  // let the announcement chain run: chime (timer) -> speak (immediate) -> next (timer)
  for (let i = 0; i < 80; i++) {
    await new Promise((r) => setImmediate(r));
    const pending = timers.splice(0);
    pending.forEach((fn) => fn());
  }
}

async function main() {
  source.emit("snapshot", JSON.stringify(input.snapshot));
  for (const [type, event] of input.events) source.emit(type, JSON.stringify(event));
  await settle();
  if (input.reconnect) {
    source.listeners.error = [];
    source.emit("snapshot", JSON.stringify(input.reconnect.snapshot));
    for (const [type, event] of input.reconnect.events || []) source.emit(type, JSON.stringify(event));
    await settle();
  }
  const text = (e) => e.children.map((c) => c.children.map((x) => x.textContent));
  process.stdout.write(JSON.stringify({
    site: elements["site-name"].textContent,
    counters: text(elements["counters"]),
    recent: text(elements["recent"]),
    waiting: text(elements["waiting"]),
    spoken,
    fetched,
    played,
    offline: elements["offline"].hidden === false,
  }));
}
main();
