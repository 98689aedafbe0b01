/* The counter's tools beside its ticket (operator.js): call a chosen waiting number with a
 * reason (the fairness ledger shows it), take a break and come back, bring back a no-show
 * within its grace period, and the counter's figures today — all read from
 * …/counters/{id}/desk, refreshed after every action and every few seconds. */

import { api } from "./common/api.js";
import { $, el } from "./common/dom.js";
import { has, t } from "./common/i18n.js";
import { count } from "./common/numbers.js";
import { apiPath } from "./common/page.js";
import { formatTime } from "./common/time.js";

export const REASON_MIN = 3;
export const REASON_MAX = 200;

// --- words (pure: tested under node) --------------------------------------------------

/** "4 mnt 10 dtk", "45 dtk"; "–" when nothing was served yet. */
export function duration(seconds) {
  if (seconds == null) return "–";
  const total = Math.round(seconds);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return m ? t("op.minSec", { m, s }) : t("op.sec", { s });
}

/** "Dilayani 12 · Rata-rata 4 mnt 10 dtk · Tidak hadir 1 · Panggil ulang 3". */
export function figuresLine(today) {
  return [
    t("op.figServed", { n: count(today.served) }),
    t("op.figAverage", { d: duration(today.average_service_s) }),
    t("op.figNoShows", { n: count(today.no_shows) }),
    t("op.figRecalls", { n: count(today.recalls) }),
  ].join(" · ");
}

/** A break reason as the page says it ("shalat" → "Shalat"); an unknown one as it is. */
export function breakName(reason) {
  return has("op.break." + reason) ? t("op.break." + reason) : reason;
}

/** The clerk's reason for a chosen call, spaces tidied; null when not 3–200 characters. */
export function cleanReason(text) {
  const reason = String(text || "").split(/\s+/).filter(Boolean).join(" ");
  return reason.length >= REASON_MIN && reason.length <= REASON_MAX ? reason : null;
}

// --- the tools ------------------------------------------------------------------------

/** The desk's tools for the console. `ctx`: state (site, counter, current, busy, paused),
 * auth(extra), busy(action), message(text, kind), setCurrent(ticket). */
export function deskTools(ctx) {
  const { state } = ctx;
  const path = (...more) => apiPath("sites", state.site.id, "counters", state.counter.id, ...more);
  const tz = () => state.site.timezone;
  const serviceName = (id) => (state.site.services.find((s) => s.id === id) || { name: id }).name;

  async function refresh() {
    if (!state.counter) return;
    const counterId = state.counter.id;
    let desk;
    try {
      desk = await api("GET", path("desk"), ctx.auth());
    } catch (_) {
      return; // unreachable or expired: the next action says so
    }
    if (!state.counter || state.counter.id !== counterId) return;
    state.desk = desk;
    state.paused = desk.paused;
    render();
  }

  function render() {
    const desk = state.desk;
    if (!desk) return;
    renderPause();
    renderPicker(desk.waiting);
    renderBreakReasons(desk.break_reasons);
    renderReturnable(desk.returnable);
    $("#today-figures").textContent = figuresLine(desk.today);
    ctx.updateButtons();
  }

  function renderPause() {
    const paused = state.paused;
    $("#pause-banner").hidden = !paused;
    $("#pause-text").textContent = paused
      ? t("op.pausedSince", { reason: breakName(paused.reason), time: formatTime(paused.since, tz()) })
      : "";
    if (paused) {
      closeChoose();
      closeBreak();
    }
  }

  function renderPicker(waiting) {
    const select = $("#choose-number");
    const kept = select.value;
    select.replaceChildren(
      ...waiting.map((w) => {
        const parts = [w.number, serviceName(w.service_id)];
        if (w.priority === "priority") parts.push(t("op.priority"));
        parts.push(t("op.waitingSince", { time: formatTime(w.queued_at, tz()) }));
        return el("option", { value: w.number, text: parts.join(" · ") });
      }),
    );
    if (waiting.some((w) => w.number === kept)) select.value = kept;
    select.hidden = !waiting.length;
    $("#choose-empty").hidden = Boolean(waiting.length);
  }

  function renderBreakReasons(reasons) {
    const select = $("#break-reason");
    const kept = select.value;
    select.replaceChildren(...reasons.map((r) => el("option", { value: r, text: breakName(r) })));
    if (reasons.includes(kept)) select.value = kept;
  }

  function renderReturnable(items) {
    $("#returnable-none").hidden = Boolean(items.length);
    const until = (item) => formatTime(item.returnable_until, tz());
    $("#returnable-list").replaceChildren(
      ...items.map((item) =>
        el(
          "li",
          { dataset: { ticket: item.id } },
          el("span", { class: "r-number", text: item.number }),
          el("span", {
            class: "r-until",
            text: t("op.returnUntil", { svc: serviceName(item.service_id), time: until(item) }),
          }),
          el("button", {
            type: "button",
            class: "btn secondary",
            dataset: { return: item.id },
            "aria-label": t("op.returnLabel", { num: item.number }),
            text: t("op.return"),
            onclick: () => bringBack(item),
          }),
        ),
      ),
    );
  }

  function updateButtons() {
    const paused = Boolean(state.paused);
    $("#act-choose").disabled = state.busy || paused;
    $("#choose-go").disabled = state.busy || paused || !(state.desk && state.desk.waiting.length);
    $("#act-pause").hidden = paused;
    $("#act-pause").disabled = state.busy;
    $("#break-go").disabled = state.busy;
    $("#act-resume").disabled = state.busy;
    document.querySelectorAll("#returnable-list button").forEach((b) => {
      b.disabled = state.busy;
    });
  }

  // --- call a chosen number ---

  function openChoose() {
    if (state.paused || state.busy) return;
    closeBreak();
    $("#choose").hidden = false;
    const select = $("#choose-number");
    (select.hidden ? $("#choose-cancel") : select).focus();
  }

  function closeChoose() {
    $("#choose").hidden = true;
  }

  async function submitChoose(ev) {
    ev.preventDefault();
    if (state.busy || state.paused) return;
    const number = $("#choose-number").value;
    const reason = cleanReason($("#choose-reason").value);
    if (!number) {
      ctx.message(t("op.chooseEmpty"), "warn");
      return;
    }
    if (!reason) {
      ctx.message(t("op.reasonLength", { min: REASON_MIN, max: REASON_MAX }), "error");
      $("#choose-reason").focus();
      return;
    }
    await ctx.busy(async () => {
      const ticket = await api("POST", path("call"), ctx.auth({ json: { ticket_number: number, reason } }));
      ctx.setCurrent(ticket);
      closeChoose();
      $("#choose-reason").value = "";
      ctx.message(t("op.called", { num: ticket.number, counter: state.counter.name }), "ok");
    });
  }

  // --- break ---

  function openBreak() {
    if (state.paused || state.busy) return;
    closeChoose();
    $("#break").hidden = false;
    $("#break-reason").focus();
  }

  function closeBreak() {
    $("#break").hidden = true;
  }

  async function submitBreak(ev) {
    ev.preventDefault();
    if (state.busy) return;
    const reason = $("#break-reason").value;
    await ctx.busy(async () => {
      const answer = await api("POST", path("pause"), ctx.auth({ json: { reason } }));
      state.paused = { reason: answer.reason, since: answer.paused_at };
      closeBreak();
      renderPause();
      ctx.message(t("op.pausedNow", { reason: breakName(answer.reason) }), "ok");
      $("#act-resume").focus();
    });
  }

  async function resume() {
    if (state.busy) return;
    await ctx.busy(async () => {
      await api("POST", path("resume"), ctx.auth());
      state.paused = null;
      renderPause();
      ctx.message(t("op.resumed"), "ok");
      $("#act-next").focus();
    });
  }

  // --- a returning no-show ---

  async function bringBack(item) {
    if (state.busy) return;
    await ctx.busy(async () => {
      const ticket = await api("POST", apiPath("tickets", item.id, "return"), ctx.auth());
      ctx.message(t("op.returned", { num: ticket.number }), "ok");
    });
  }

  function closeAll() {
    closeChoose();
    closeBreak();
  }

  function wire() {
    $("#act-choose").addEventListener("click", openChoose);
    $("#act-pause").addEventListener("click", openBreak);
    $("#act-resume").addEventListener("click", resume);
    $("#choose").addEventListener("submit", submitChoose);
    $("#choose-cancel").addEventListener("click", closeChoose);
    $("#break").addEventListener("submit", submitBreak);
    $("#break-cancel").addEventListener("click", closeBreak);
  }

  return { refresh, render, updateButtons, closeAll, wire };
}
