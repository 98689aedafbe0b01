/* The citizen's tracking page: the ticket's status, people ahead and estimated wait, polled
 * until the ticket is final. The holder's link carries the ticket's key in its fragment
 * (`/t/{id}#key=…`, never sent to a server in the URL): with it, a waiting ticket can be
 * cancelled after a confirm step (the key goes in the Ticket-Key header) and a served one
 * leads to the survey; without it the page only shows the ticket. */

import { api, detailText, errorText } from "./common/api.js";
import { $, notice } from "./common/dom.js";
import { addStrings, langToggle, startLang, t } from "./common/i18n.js";
import { hashParam, pathPart } from "./common/page.js";
import { pledgeBlock, standardList } from "./common/standard.js";
import { formatWait, zonedTime } from "./common/time.js";
import strings from "./strings/track.js";

addStrings(strings);
const ticketId = pathPart(1);
const ticketKey = hashParam("key") || "";
const POLL_MS = 4000;

const FINAL = new Set(["served", "no_show", "cancelled"]);

const state = { ticket: null, site: null, timer: null, lastUpdate: null, busy: false };

const banner = (text) => notice("#banner", text);

function tz() {
  return state.site ? state.site.timezone : undefined;
}

function render() {
  const tk = state.ticket;
  if (!tk) return;
  $("#loading").hidden = true;
  $("#ticket").hidden = false;
  $("#number").textContent = tk.number;
  $("#service").textContent = tk.service_name;
  const status = $("#status");
  status.className = "status " + tk.status;
  let help = "";
  if (tk.status === "called") {
    const counter = tk.counter_name || tk.counter_id || "";
    status.textContent = t("t.called", { counter });
    help = t("t.calledGo", { counter });
  } else if (tk.status === "waiting") {
    status.textContent = tk.outcome === "transferred" ? t("t.transferred") : t("t.waiting");
  } else {
    status.textContent = t("t." + tk.status);
    help = t("t.final");
  }
  $("#status-help").textContent = help;
  $("#facts").hidden = tk.status !== "waiting";
  $("#ahead").textContent = String(tk.waiting_ahead);
  $("#wait").textContent = formatWait(tk.estimated_wait_s);
  const zone = tz();
  $("#issued").textContent = zonedTime(tk.issued_at, zone);
  $("#cancel-area").hidden = tk.status !== "waiting" || !ticketKey;
  $("#no-key").hidden = tk.status !== "waiting" || Boolean(ticketKey);
  $("#survey-link").hidden = tk.status !== "served" || !ticketKey;
  if (tk.status !== "waiting") $("#confirm").hidden = true;
  $("#updated").textContent = state.lastUpdate
    ? t("t.updated", { time: zonedTime(state.lastUpdate, zone, true) })
    : "";
  document.title = `${tk.number} · ${status.textContent} — ${t("t.title")}`;
  renderStandard();
}

/** What the citizen should bring and may be charged, while there is still a visit ahead. */
function renderStandard() {
  const service = state.site && state.site.services.find((s) => s.id === state.ticket.service_id);
  $("#standard-card").hidden = !service;
  if (!service) return;
  $("#standard").replaceChildren(standardList(service, false));
  $("#pledge").replaceChildren(pledgeBlock(state.site));
}

async function poll() {
  try {
    state.ticket = await api("GET", "/api/tickets/" + encodeURIComponent(ticketId));
    state.lastUpdate = new Date();
    banner("");
  } catch (e) {
    if (e.status === 404 || e.status === 422) {
      stop();
      $("#loading").hidden = true;
      banner(t("t.notFound"));
      return;
    }
    banner(errorText(e));
  }
  if (state.ticket && !state.site) {
    try {
      state.site = await api("GET", "/api/sites/" + encodeURIComponent(state.ticket.site_id));
      $("#site-name").textContent = state.site.name;
    } catch (_) {
      /* the name and zone can wait for the next poll */
    }
  }
  render();
  if (state.ticket && FINAL.has(state.ticket.status)) stop();
}

function start() {
  stop();
  state.timer = setInterval(poll, POLL_MS);
}

function stop() {
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
}

async function cancel() {
  if (state.busy) return;
  state.busy = true;
  $("#confirm-yes").disabled = true;
  try {
    state.ticket = await api("DELETE", "/api/tickets/" + encodeURIComponent(ticketId), {
      headers: { "Ticket-Key": ticketKey },
    });
    state.lastUpdate = new Date();
    banner("");
  } catch (e) {
    banner(detailText(e.detail));
    await poll();
  } finally {
    state.busy = false;
    $("#confirm-yes").disabled = false;
  }
  $("#confirm").hidden = true;
  render();
  if (state.ticket && FINAL.has(state.ticket.status)) stop();
}

startLang({ remember: true });
langToggle($("#lang"), render);
$("#survey-link").href = `/survey/${encodeURIComponent(ticketId)}#key=${encodeURIComponent(ticketKey)}`;
$("#cancel").addEventListener("click", () => {
  $("#confirm").hidden = false;
  $("#confirm-no").focus();
});
$("#confirm-no").addEventListener("click", () => {
  $("#confirm").hidden = true;
});
$("#confirm-yes").addEventListener("click", cancel);
// a phone that slept or switched tabs catches up at once
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && state.timer) poll();
});
poll().then(() => {
  if (!state.ticket || !FINAL.has(state.ticket.status)) {
    if ($("#banner").textContent !== t("t.notFound")) start();
  }
});
