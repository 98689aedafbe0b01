/* Drawing the board: header, counter tiles, last calls, waiting, the call panel (over the
   side column only: the counters stay in sight), the closed notice, a mobile MPP's place
   of the day, the clock in the site's zone, the offline mark and the sound button. Reads
   a BoardState (state.js); every string through i18n.js. */

import { ofAgency } from "./state.js";

const WAITING_ALL = 8;   // up to this many services, all are listed (zeros too)
const FRESH_MS = 10000;  // a new call's tile blinks this long

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

const px = (value) => `${Math.max(8, Math.floor(value))}px`;

function area(node) {
  const r = node.getBoundingClientRect();
  return r.width > 0 && r.height > 0 ? r : { width: 1240, height: 800 };
}

/** Counter tiles as large as the screen allows: the column count that gives the biggest
   ticket number for this many counters, fonts sized to the tile. */
function layoutCounters(box, list, numberChars) {
  const n = Math.max(1, list.length);
  const size = area(box);
  const gap = Math.max(8, size.width * 0.012);
  let best = null;
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const w = (size.width - gap * (cols - 1)) / cols;
    const h = (size.height - gap * (rows - 1)) / rows;
    // bold digits are about 0.7 em wide in the fonts lobby PCs have (DejaVu, Segoe)
    const number = Math.min(h * 0.46, (w * 0.9) / (0.68 * numberChars));
    if (!best || number > best.number) best = { cols, rows, w, h, number };
  }
  const name = Math.min(best.h * 0.18, best.number * 0.62);
  Array.from(box.children).forEach((tile, i) => {
    const chars = Math.max(6, String(list[i].name).length);
    tile.style.setProperty("--name-size", px(Math.min(name, (best.w * 0.9) / (0.62 * chars))));
  });
  box.style.setProperty("--cols", String(best.cols));
  box.style.setProperty("--rows", String(best.rows));
  box.style.setProperty("--gap", px(gap));
  box.style.setProperty("--number-size", px(best.number));
  box.style.setProperty("--service-size", px(Math.min(name * 0.62, best.h * 0.085)));
}

/** A tile whose service name wraps past its height: that name smaller until it fits. */
function fitServiceNames(box) {
  for (const tile of box.children) {
    const service = tile.querySelector(".service");
    if (!service || !service.textContent) continue;
    let size = parseFloat(getComputedStyle(service).fontSize);
    while (tile.scrollHeight > tile.clientHeight + 1 && size > 9) {
      size -= 1;
      service.style.fontSize = `${size}px`;
    }
  }
}

function layoutWaiting(box, count) {
  const size = area(box.parentNode);
  const cols = count > 10 ? 2 : 1;
  const rows = Math.max(1, Math.ceil(count / cols));
  box.style.setProperty("--cols", String(cols));
  box.style.setProperty("--row-size", px(Math.min(size.height * 0.06 + 20, (size.height / rows) * 0.55)));
}

const $ = (id) => document.getElementById(id);

export class View {
  constructor({ i18n, agency }) {
    this.i18n = i18n;
    this.t = i18n.t;
    this.agency = agency;
    this.fresh = new Map(); // counter_id -> when its call arrived
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = this.t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-title]")) node.title = this.t(node.dataset.i18nTitle);
  }

  header(state) {
    const { t, i18n, agency } = this;
    const b = state.board;
    const agencyName = agency ? state.agencyName(agency) : "";
    $("site-name").textContent = b.site_name;
    $("agency-name").textContent = agencyName;
    document.title = [t("title"), agencyName, b.site_name].filter(Boolean).join(" — ");
    const o = state.opening;
    const zone = b.timezone || "UTC";
    let where = "";
    if (o && o.mobile && o.place) where = t("mobile.today", { place: o.place });
    else if (o && o.mobile && o.next_place && o.next_open) {
      where = t("mobile.next", { day: i18n.shortDate(new Date(o.next_open), zone), place: o.next_place });
    }
    $("place").textContent = where;
    $("closed-text").textContent = this.closedText(o, zone, b.day);
  }

  /** "Tutup — buka pukul 08.00" (today, the board's day), or with the day when later. */
  closedText(o, zone, today) {
    const { t, i18n } = this;
    if (!o || o.open) return "";
    if (!o.next_open) return t("closed.unknown");
    const at = new Date(o.next_open);
    const time = i18n.clock(at, zone).time;
    if (i18n.isoDay(at, zone) === today) return t("closed.today", { time });
    return t("closed.later", { day: i18n.shortDate(at, zone), time });
  }

  counters(state) {
    const box = $("counters");
    const list = state.counters(this.agency);
    const at = Date.now();
    let numberChars = 5;
    box.textContent = "";
    for (const c of list) {
      const call = state.shown(c.id);
      const pause = call ? null : state.onBreak(c.id);
      const tile = el("div", call ? "counter" : pause ? "counter idle paused" : "counter idle");
      tile.dataset.counter = c.id;
      if (call && this.fresh.has(c.id) && at - this.fresh.get(c.id) < FRESH_MS) tile.classList.add("fresh");
      const number = call ? call.ticket_number : pause ? this.t("paused") : this.t("idle");
      tile.append(el("div", "name", c.name), el("div", "number", number));
      const below = call ? call.service_name || "" : pause ? this.breakText(pause) : "";
      tile.append(el("div", "service", below));
      if (call) numberChars = Math.max(numberChars, call.ticket_number.length);
      box.append(tile);
    }
    layoutCounters(box, list, numberChars);
    fitServiceNames(box);
  }

  /** "Istirahat sejak 12.05" — the break's reason in words, and since when (site zone). */
  breakText(pause) {
    const key = `break.${pause.reason}`;
    const reason = this.t(key) === key ? pause.reason : this.t(key);  // a site's own reason as written
    if (!pause.since) return reason;
    return this.t("paused.since", { reason, time: this.i18n.clock(new Date(pause.since), this.zone).time });
  }

  recent(state) {
    const box = $("recent");
    box.textContent = "";
    for (const c of state.recent.filter((call) => ofAgency(call, this.agency)).slice(0, 6)) {
      const li = el("li", c.call_count > 1 ? "recall" : "");
      li.append(el("span", "num", c.ticket_number), el("span", "where", c.counter_name));
      box.append(li);
    }
  }

  waiting(state) {
    const box = $("waiting");
    box.textContent = "";
    const services = state.services(this.agency)
      .sort((x, y) => String(x.prefix || x.id).localeCompare(String(y.prefix || y.id)));
    const count = (s) => state.waiting[s.id] || 0;
    // a whole MPP has twenty services: list those with people waiting, in large type
    const shown = (s) => count(s) > 0 || state.closure(s.id);  // a closed one says so
    const listed = services.length > WAITING_ALL ? services.filter(shown) : services;
    for (const s of listed) {
      const closed = state.closure(s.id);
      const li = el("li", closed ? "none shut" : count(s) ? "" : "none");
      const figure = closed ? this.t("service.closed") : String(count(s));
      li.append(el("span", "prefix", s.prefix || ""), el("span", "svc", s.name), el("span", "count", figure));
      box.append(li);
    }
    const rest = services.length - listed.length;
    $("waiting-rest").textContent = !rest ? "" : listed.length ? this.t("waiting.others") : this.t("waiting.none");
    layoutWaiting(box, listed.length);
  }

  render(state) {
    this.zone = state.board.timezone || "UTC";
    this.header(state);
    const closed = Boolean(state.opening && !state.opening.open) && state.serving.size === 0;
    document.body.classList.toggle("closed", closed);
    this.counters(state);
    this.recent(state);
    this.waiting(state);
  }

  /** The clock, in the site's zone and the server's time. */
  tick(state, now) {
    const zone = state.board.timezone || "UTC";
    const at = new Date(now);
    const c = this.i18n.clock(at, zone);
    $("clock-time").textContent = c.time;
    $("clock-seconds").textContent = `.${c.seconds}`;
    $("clock-zone").textContent = this.i18n.zoneName(zone);
    $("clock-date").textContent = this.i18n.longDate(at, zone);
  }

  showCall(call) {
    $("flash-number").textContent = call.ticket_number;
    $("flash-counter").textContent = call.counter_name;
    $("flash-service").textContent = call.service_name || "";
    $("flash").hidden = false;
  }

  hideCall() { $("flash").hidden = true; }

  markFresh(counterId) { this.fresh.set(counterId, Date.now()); }

  offline(shown) { $("offline").hidden = !shown; }

  offerSound(onTap) {
    const button = $("sound");
    button.hidden = false;
    button.onclick = () => { onTap(); button.hidden = true; };
  }

  hideSound() { $("sound").hidden = true; }
}
