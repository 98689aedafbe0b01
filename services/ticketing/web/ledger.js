/* The public fairness ledger: GET /api/sites/{site}/ledger[/{number}]?date= — no login.
 * Every number of the day, when it was taken and called, and every number called before it
 * although it came later, with the reason. */

import { api, errorText } from "./common/api.js";
import { $, el, notice } from "./common/dom.js";
import { addStrings, langToggle, startLang, t } from "./common/i18n.js";
import { apiPath, pathPart } from "./common/page.js";
import { formatTime } from "./common/time.js";
import strings from "./strings/ledger.js";

addStrings(strings);
const site = pathPart(-1);
const state = { zone: "Asia/Jakarta", day: null, found: null };

const hhmm = (iso) => (iso ? formatTime(iso, state.zone, true) : "—");

function entryText(entry) {
  const key = "l.entry." + entry;
  return t(key) === key ? entry : t(key);
}

function renderVisit(v) {
  const called = v.called_at
    ? t("l.calledTo", { time: hhmm(v.called_at), counter: v.counter_name || t("l.counter") })
    : t("l.notCalled");
  const card = el(
    "article",
    { class: "card visit" },
    el("h3", { text: `${v.number} · ${v.service_name}` }),
    el("p", { text: t("l.visit", { entered: hhmm(v.entered_at), entry: entryText(v.entry), issued: hhmm(v.issued_at) }) + called }),
  );
  if (!v.overtaken_by.length) {
    card.append(el("p", { class: "ok", text: t("l.fair") }));
    return card;
  }
  card.append(el("p", { class: "warn", text: t("l.overtaken", { n: v.overtaken_by.length }) }));
  const items = v.overtaken_by.map((o) =>
    el(
      "li",
      { text: t("l.overtaker", { number: o.number, entered: hhmm(o.entered_at), called: hhmm(o.called_at) }) },
      el("span", { class: `reason-${o.reason}`, text: o.explanation }),
    ),
  );
  card.append(el("ul", {}, ...items));
  return card;
}

const dated = (date) => (date ? `?date=${encodeURIComponent(date)}` : "");

function renderSummary() {
  const day = state.day;
  if (!day) return;
  const jumped = day.tickets.filter((v) => v.overtaken_by.length);
  const unexplained = jumped.filter((v) => v.overtaken_by.some((o) => o.reason === "unexplained"));
  $("#summary").textContent = t("l.summary", {
    n: day.tickets.length,
    date: day.date,
    jumped: jumped.length,
    unexplained: unexplained.length,
  });
  $("#jumps tbody").replaceChildren(
    ...jumped.map((v) =>
      el(
        "tr",
        {},
        el("td", { text: v.number }),
        el("td", { text: v.service_name }),
        el("td", { text: hhmm(v.called_at) }),
        el("td", { text: v.overtaken_by.map((o) => `${o.number}: ${o.explanation}`).join("; ") }),
      ),
    ),
  );
}

async function summary(date) {
  try {
    state.day = await api("GET", apiPath("sites", site, "ledger") + dated(date));
  } catch (e) {
    $("#summary").textContent = e.status === 404 ? t("common.siteNotFound") : errorText(e);
    return;
  }
  state.zone = state.day.timezone;
  $("#site-name").textContent = state.day.site_name;
  if (!$("#date").value) $("#date").value = state.day.date;
  renderSummary();
}

function renderFound() {
  $("#result").replaceChildren(...(state.found ? state.found.tickets.map(renderVisit) : []));
}

async function search(event) {
  event.preventDefault();
  const number = $("#number").value.trim().toUpperCase();
  notice("#notice", "");
  state.found = null;
  renderFound();
  try {
    state.found = await api("GET", apiPath("sites", site, "ledger", number) + dated($("#date").value));
    state.zone = state.found.timezone;
    renderFound();
  } catch (e) {
    notice("#notice", errorText(e));
  }
}

startLang({ remember: true });
document.title = t("l.docTitle");
langToggle($("#lang"), () => {
  document.title = t("l.docTitle");
  renderSummary();
  renderFound();
});
$("#search").addEventListener("submit", search);
$("#date").addEventListener("change", () => summary($("#date").value));
summary("");
