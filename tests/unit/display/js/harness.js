/* Runs static/board.js under node with a tiny fake DOM, EventSource and speech engine,
   feeds it a snapshot and events from stdin (JSON), and prints what the screen shows. */
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const STATIC = process.argv[2];
const input = JSON.parse(fs.readFileSync(0, "utf8"));

function element(id) {
  return {
    id, hidden: false, textContent: "", className: "", children: [], onclick: null,
    classList: { items: new Set(), add(c) { this.items.add(c); } },
    appendChild(child) { this.children.push(child); return child; },
    set textContent(v) { this._text = v; this.children = []; },
    get textContent() { return this._text; },
  };
}
const elements = {};
const spoken = [];
let source = null;

class FakeEventSource {
  constructor(url) { this.url = url; this.listeners = {}; this.readyState = 1; source = this; }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  emit(type, data) { (this.listeners[type] || []).forEach((fn) => fn({ data })); }
}
FakeEventSource.CLOSED = 2;

const timers = [];
const sandbox = {
  console, JSON, Date, Math, Promise, Set, Object, Number, String, URLSearchParams,
  location: { pathname: input.path, search: input.search || "" },
  document: {
    title: "",
    getElementById: (id) => (elements[id] = elements[id] || element(id)),
    createElement: (tag) => element(tag),
  },
  EventSource: FakeEventSource,
  SpeechSynthesisUtterance: function (text) { this.text = text; },
  speechSynthesis: {
    getVoices: () => [{ lang: "id-ID", name: "Damayanti" }],
    speak(u) { if (u.text) spoken.push(u.text); setImmediate(() => u.onend && u.onend()); },
  },
  setTimeout: (fn, ms) => { timers.push(fn); return timers.length; },
  clearTimeout: () => {},
  setInterval: () => 0,
  fetch: () => Promise.reject(new Error("offline")),
};
sandbox.window = sandbox;
vm.createContext(sandbox);
for (const file of ["speech.js", "board.js"]) {
  vm.runInContext(fs.readFileSync(path.join(STATIC, file), "utf8"), sandbox, { filename: file });
}

async function main() {
  source.emit("snapshot", JSON.stringify(input.snapshot));
  for (const [type, event] of input.events) source.emit(type, JSON.stringify(event));
  // let the announcement chain run: chime (timer) -> speak (immediate) -> next (timer)
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setImmediate(r));
    const pending = timers.splice(0);
    pending.forEach((fn) => fn());
  }
  const text = (e) => e.children.map((c) => c.children.map((x) => x.textContent));
  process.stdout.write(JSON.stringify({
    site: elements["site-name"].textContent,
    counters: text(elements["counters"]),
    recent: text(elements["recent"]),
    waiting: text(elements["waiting"]),
    spoken,
    offline: elements["offline"].hidden === false,
  }));
}
main();
