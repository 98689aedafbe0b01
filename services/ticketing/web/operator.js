/* The operator console: log in as a counter, call, recall, complete, mark no-show and
 * transfer tickets; the desk's tools (a chosen number, breaks, returning no-shows, the day's
 * figures) are in operator-desk.js. The token lives in sessionStorage (closing the tab logs out); the ticket
 * at the desk is asked of the server (…/counters/{id}/current) on entering, so a reload or
 * another PC at the same desk finds the citizen already called. */

import { api, detailText } from "./common/api.js";
import { $, el, notice, showView } from "./common/dom.js";
import { addStrings, langToggle, startLang, t } from "./common/i18n.js";
import { apiPath } from "./common/page.js";
import { staffLogin } from "./common/staff-login.js";
import { sessionLoad as load, sessionSave as save } from "./common/storage.js";
import { elapsed, zonedTime } from "./common/time.js";
import { deskTools } from "./operator-desk.js";
import strings from "./strings/operator.js";

addStrings(strings);
const KEY_SESSION = "antrian.op.session";
const KEY_COUNTER = "antrian.op.counter";
const KEY_TICKET = "antrian.op.ticket";
const QUEUES_EVERY_MS = 5000;
const DESK_EVERY_MS = 10000;

const state = {
  site: null,
  counter: null,
  current: null, // the Ticket at the desk (status called), or null
  busy: false,
  paused: null, // the counter's break {reason, since}, or null
  desk: null, // the last …/desk answer
  queueTimer: null,
  deskTimer: null,
};

// --- views and messages ---------------------------------------------------------------

function show(view) {
  showView(view);
  state.view = view;
}

const message = (text, kind) => notice("#message", text, kind || "");

// --- login ----------------------------------------------------------------------------

/** Back at the login form. After an expired token the counter and its called ticket are
 * kept, so logging in again returns to the same desk; "Keluar" forgets them. */
function leave(forget) {
  stopPolling();
  state.counter = null;
  state.current = null;
  state.paused = null;
  state.desk = null;
  state.view = "login";
  if (forget) {
    save(KEY_COUNTER, null);
    save(KEY_TICKET, null);
  }
  $("#counter-name").textContent = t("op.title");
  $("#site-name").textContent = "";
}

const login = staffLogin({ key: KEY_SESSION, enter, leave });
const showLogin = (reason) => login.show(reason);

// --- entering the desk ----------------------------------------------------------------

async function enter() {
  try {
    state.site = await api("GET", apiPath("sites", login.session.site_id));
  } catch (e) {
    showLogin(detailText(e.detail));
    return;
  }
  $("#site-name").textContent = state.site.name;
  tickClock();
  const ids = login.session.counter_ids.filter((id) => state.site.counters.some((c) => c.id === id));
  const saved = load(KEY_COUNTER);
  if (saved && ids.includes(saved)) return openDesk(saved);
  if (ids.length === 1) return openDesk(ids[0]);
  if (ids.length === 0) {
    showLogin(t("op.noCounter"));
    return;
  }
  $("#counter-list").replaceChildren(
    ...ids.map((id) => {
      const c = state.site.counters.find((x) => x.id === id);
      return el("button", { type: "button", class: "btn secondary", onclick: () => openDesk(id), text: c.name });
    }),
  );
  show("pick");
}

async function openDesk(counterId) {
  state.counter = state.site.counters.find((c) => c.id === counterId);
  save(KEY_COUNTER, counterId);
  $("#counter-name").textContent = state.counter.name;
  document.title = `${state.counter.name} — ${t("op.title")}`;
  fillTransferList();
  message("");
  state.current = null;
  const ticket = await openTicket(counterId);
  if (!login.session) return; // the token had expired: back at the login form
  setCurrent(ticket);
  await desk.refresh();
  show("desk");
  startPolling();
}

/** The ticket open at the counter: asked of the server, so a reload or another PC at the
 * same desk carries on with the citizen already called. If the server cannot say, the
 * ticket this tab remembers (if it is still called here). */
async function openTicket(counterId) {
  try {
    return await api("GET", apiPath("sites", state.site.id, "counters", counterId, "current"), auth());
  } catch (e) {
    if (e.status === 401) {
      showLogin(t("login.expired"));
      return null;
    }
  }
  const ticketId = load(KEY_TICKET);
  if (!ticketId) return null;
  try {
    const ticket = await api("GET", apiPath("tickets", ticketId));
    if (ticket.status === "called" && ticket.counter_id === counterId) return ticket;
  } catch (_) {
    /* gone or unreachable: the desk starts empty */
  }
  return null;
}

// --- the ticket at the desk -----------------------------------------------------------

function setCurrent(ticket) {
  state.current = ticket;
  save(KEY_TICKET, ticket ? ticket.id : null);
  const box = $("#current");
  box.classList.toggle("idle", !ticket);
  $("#cur-number").textContent = ticket ? ticket.number : t("op.none");
  $("#cur-service").textContent = ticket ? ticket.service_name : "";
  $("#cur-calls").textContent = ticket ? t("op.calledCount", { n: ticket.call_count }) : "";
  $("#cur-prio").hidden = !(ticket && ticket.priority === "priority");
  $("#timer-wrap").hidden = !ticket;
  tickTimer();
  closeTransfer();
  updateButtons();
}

const desk = deskTools({ state, auth, busy, message, setCurrent, updateButtons: () => updateButtons() });

function updateButtons() {
  const has = Boolean(state.current);
  $("#act-next").disabled = state.busy || Boolean(state.paused);
  for (const id of ["#act-recall", "#act-complete", "#act-noshow", "#act-transfer"]) {
    $(id).disabled = state.busy || !has;
  }
  $("#transfer-go").disabled = state.busy;
  desk.updateButtons();
}

function tickTimer() {
  if (state.current && state.current.called_at) {
    $("#cur-timer").textContent = elapsed(state.current.called_at);
  }
}

function tickClock() {
  if (!state.site) return;
  const tz = state.site.timezone;
  $("#clock").textContent = zonedTime(new Date(), tz);
}

// --- actions --------------------------------------------------------------------------

const ACTIONS = {
  async next() {
    const path = apiPath("sites", state.site.id, "counters", state.counter.id, "call-next");
    const ticket = await api("POST", path, auth());
    if (ticket === null) {
      setCurrent(null);
      message(t("op.empty"), "warn");
    } else {
      setCurrent(ticket);
      message(t("op.called", { num: ticket.number, counter: state.counter.name }), "ok");
    }
  },
  async recall() {
    const ticket = await onTicket("recall");
    setCurrent(ticket);
    message(t("op.recalled", { num: ticket.number }), "ok");
  },
  async complete() {
    const ticket = await onTicket("complete");
    setCurrent(null);
    message(t("op.completed", { num: ticket.number }), "ok");
  },
  async noShow() {
    const ticket = await onTicket("no-show");
    setCurrent(null);
    message(t("op.noShowed", { num: ticket.number }), "ok");
  },
};

function auth(extra) {
  return Object.assign({ token: login.session.token }, extra || {});
}

function onTicket(verb, extra) {
  return api("POST", apiPath("tickets", state.current.id, verb), auth(extra));
}

async function run(name) {
  if (state.busy || state.view !== "desk") return;
  if (name !== "next" && !state.current) return;
  if (name === "next" && state.paused) {
    message(t("op.pausedNoCall"), "warn");
    return;
  }
  if (name === "transfer") {
    openTransfer();
    return;
  }
  await busy(ACTIONS[name]);
}

/** One action at a time: the buttons are disabled while it runs, the queues read after. */
async function busy(action) {
  state.busy = true;
  updateButtons();
  try {
    await action();
  } catch (e) {
    await failed(e);
  } finally {
    state.busy = false;
    updateButtons();
    refreshQueues();
    desk.refresh();
  }
}

async function failed(e) {
  if (e.status === 401) {
    showLogin(t("login.expired"));
    return;
  }
  if (e.status === 403) message(t("op.forbidden", { d: detailText(e.detail) }), "error");
  else if (e.status === 409) message(t("op.conflict", { d: detailText(e.detail) }), "error");
  else message(detailText(e.detail), "error");
  if (e.status === 409 && state.current) {
    // the ticket moved on without us (cancelled, completed elsewhere): show it as it is
    try {
      const ticket = await api("GET", apiPath("tickets", state.current.id));
      if (ticket.status !== "called" || ticket.counter_id !== state.counter.id) setCurrent(null);
    } catch (_) {
      /* keep what we have */
    }
  }
}

// --- transfer -------------------------------------------------------------------------

function fillTransferList() {
  const select = $("#transfer-to");
  select.replaceChildren(
    ...state.site.agencies
      .map((a) => {
        const services = state.site.services.filter((s) => s.agency_id === a.id);
        if (!services.length) return null;
        return el(
          "optgroup",
          { label: a.name },
          ...services.map((s) => el("option", { value: s.id, text: `${s.prefix} · ${s.name}` })),
        );
      })
      .filter(Boolean),
  );
}

function openTransfer() {
  if (!state.current) return;
  desk.closeAll();
  const select = $("#transfer-to");
  for (const option of select.querySelectorAll("option")) {
    option.disabled = option.value === state.current.service_id;
  }
  const first = Array.from(select.options).find((o) => !o.disabled);
  if (select.selectedOptions[0] && select.selectedOptions[0].disabled && first) select.value = first.value;
  $("#transfer").hidden = false;
  select.focus();
}

function closeTransfer() {
  $("#transfer").hidden = true;
}

async function submitTransfer(ev) {
  ev.preventDefault();
  if (state.busy || !state.current) return;
  const target = $("#transfer-to").value;
  const name = (state.site.services.find((s) => s.id === target) || {}).name || target;
  await busy(async () => {
    const ticket = await onTicket("transfer", { json: { service_id: target } });
    setCurrent(null);
    message(t("op.transferred", { num: ticket.number, svc: name }), "ok");
  });
}

// --- queues ---------------------------------------------------------------------------

async function refreshQueues() {
  if (!state.counter) return;
  let queues;
  try {
    queues = await api("GET", apiPath("sites", state.site.id, "queues"));
  } catch (_) {
    return;
  }
  $("#queue-list").replaceChildren(
    ...state.counter.service_ids.map((id) => {
      const s = state.site.services.find((x) => x.id === id) || { id, name: id, prefix: "?" };
      const n = queues[id] ? queues[id].waiting : 0;
      return el(
        "li",
        { dataset: { service: id } },
        el("span", { class: "svc-prefix", text: s.prefix }),
        el("span", { class: "q-name", text: s.name }),
        el("span", { class: "q-count" + (n ? "" : " zero"), title: t("op.waitingN", { n }), text: String(n) }),
      );
    }),
  );
}

function startPolling() {
  stopPolling();
  refreshQueues();
  state.queueTimer = setInterval(refreshQueues, QUEUES_EVERY_MS);
  state.deskTimer = setInterval(desk.refresh, DESK_EVERY_MS);
}

function stopPolling() {
  if (state.queueTimer) clearInterval(state.queueTimer);
  if (state.deskTimer) clearInterval(state.deskTimer);
  state.queueTimer = null;
  state.deskTimer = null;
}

// --- keyboard -------------------------------------------------------------------------

const SHORTCUTS = { n: "next", r: "recall", s: "complete", x: "noShow", t: "transfer" };

function onKey(ev) {
  if (state.view !== "desk" || ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
  if (ev.key === "Escape") {
    closeTransfer();
    desk.closeAll();
    return;
  }
  const tag = (ev.target && ev.target.tagName) || "";
  if (["INPUT", "SELECT", "TEXTAREA"].includes(tag)) return;
  const action = SHORTCUTS[ev.key.toLowerCase()];
  if (!action) return;
  ev.preventDefault();
  run(action);
}

// --- start ----------------------------------------------------------------------------

startLang({ remember: true });
langToggle($("#lang"), () => {
  if (state.view === "desk") {
    setCurrent(state.current);
    desk.render();
    refreshQueues();
    message("");
  }
  $("#counter-name").textContent = state.counter ? state.counter.name : t("op.title");
  if (state.counter) document.title = `${state.counter.name} — ${t("op.title")}`;
});
document.querySelectorAll(".actions button[data-action]").forEach((b) => {
  b.addEventListener("click", () => run(b.dataset.action));
});
$("#transfer").addEventListener("submit", submitTransfer);
$("#transfer-cancel").addEventListener("click", closeTransfer);
desk.wire();
document.addEventListener("keydown", onKey);
setInterval(() => {
  tickTimer();
  tickClock();
}, 1000);
login.start();
