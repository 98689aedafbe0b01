/* The supervisor console's board: every counter (what it serves; serving a ticket since
 * when, idle, not staffed — or on a break with its reason once counters report
 * `paused_reason`) and every service (open or closed and why, waiting, issued today, quota
 * left), with the actions on them: close a service with a reason, open it again, change
 * today's quota, change the services a counter calls. */

import { api, errorText } from "./common/api.js";
import { $, el } from "./common/dom.js";
import { t } from "./common/i18n.js";
import { count } from "./common/numbers.js";
import { apiPath } from "./common/page.js";
import { zonedTime } from "./common/time.js";
import { field, openDialog } from "./supervisor-dialog.js";

const STAFFED_MS = 30 * 60 * 1000; // CONTRACT.md: signed in or acted in the last 30 minutes

export function board(ctx) {
  const data = { counters: [], queues: {} };
  const zone = () => ctx.site().timezone;
  const services = () => ctx.site().services || [];
  const serviceName = (id) => (services().find((s) => s.id === id) || { name: id }).name;

  async function load() {
    const [counters, queues] = await Promise.all([
      ctx.call("GET", apiPath("sites", ctx.siteId, "counters")),
      api("GET", apiPath("sites", ctx.siteId, "queues")),
    ]);
    data.counters = counters;
    data.queues = queues;
    render();
  }

  function counterState(c) {
    if (c.paused_reason) return ["paused", t("s.stPaused", { reason: c.paused_reason })];
    if (c.current) return ["serving", t("s.stServing")];
    const active = c.last_active_at && Date.now() - new Date(c.last_active_at).getTime() < STAFFED_MS;
    return active ? ["idle", t("s.stIdle")] : ["unstaffed", t("s.stUnstaffed")];
  }

  function counterRow(c) {
    const [kind, label] = counterState(c);
    const cur = c.current;
    return el(
      "tr",
      { dataset: { counter: c.id } },
      el("td", { text: c.name }),
      el("td", { text: c.service_ids.map(serviceName).join(", ") }),
      el("td", {}, el("span", { class: "state " + kind, text: label })),
      el("td", { class: "ticket", text: cur ? cur.number : "–" }),
      el("td", { text: cur && cur.called_at ? zonedTime(cur.called_at, zone()) : "–" }),
      el(
        "td",
        {},
        el("button", { type: "button", class: "btn secondary small", dataset: { reassign: c.id }, text: t("s.doReassign"), onclick: () => reassign(c) }),
      ),
    );
  }

  const quotaText = (left) => (left == null ? t("s.noCap") : count(left));
  const quotaCell = (left) =>
    left.kiosk == null && left.online == null ? t("s.noCap") : `${quotaText(left.kiosk)} / ${quotaText(left.online)}`;

  function serviceRow(s) {
    const q = data.queues[s.id];
    if (!q) return null;
    const status = el("td", {}, el("span", { class: "state " + (q.open ? "open" : "closed"), text: t(q.open ? "s.open" : "s.closed") }));
    if (!q.open && q.closed_reason) status.append(el("span", { class: "reason", text: q.closed_reason }));
    const toggle = q.open
      ? el("button", { type: "button", class: "btn danger small", dataset: { close: s.id }, text: t("s.doClose"), onclick: () => closeService(s) })
      : el("button", { type: "button", class: "btn ok small", dataset: { open: s.id }, text: t("s.doOpen"), onclick: () => openService(s) });
    const quota = el("button", { type: "button", class: "btn secondary small", dataset: { quota: s.id }, text: t("s.doQuota"), onclick: () => changeQuota(s) });
    return el(
      "tr",
      { dataset: { service: s.id } },
      el("td", { text: s.name }),
      status,
      el("td", { class: "num waiting", text: count(q.waiting) }),
      el("td", { class: "num issued", text: count(q.issued_today) }),
      el("td", { class: "num quota", text: quotaCell(q.quota_left) }),
      el("td", {}, el("div", { class: "actions" }, toggle, quota)),
    );
  }

  const head = (...keys) => el("thead", {}, el("tr", {}, ...keys.map((k) => el("th", { scope: "col", text: t(k) }))));

  function render() {
    if (!ctx.site()) return;
    $("#t-counters").replaceChildren(
      head("s.colCounter", "s.colServes", "s.colState", "s.colTicket", "s.colSince", "s.colActions"),
      el("tbody", {}, ...data.counters.map(counterRow)),
    );
    $("#t-services").replaceChildren(
      head("s.colService", "s.colOpen", "s.colWaiting", "s.colIssued", "s.colQuota", "s.colActions"),
      el("tbody", {}, ...services().map(serviceRow)),
    );
  }

  async function done(text) {
    ctx.message(text, "ok");
    await ctx.changed();
    return null;
  }

  function closeService(s) {
    const input = el("input", { id: "close-reason", maxlength: "200", required: true });
    openDialog({
      title: t("s.closeTitle", { service: s.name }),
      ok: t("s.confirmClose"),
      fields: [field("s.reason", input)],
      focus: "#close-reason",
      submit: async () => {
        const reason = input.value.trim();
        if (reason.length < 3) return t("s.reasonShort");
        await ctx.call("POST", apiPath("sites", ctx.siteId, "services", s.id, "close"), { json: { reason } });
        return done(t("s.closedOk", { service: s.name }));
      },
    });
  }

  async function openService(s) {
    try {
      await ctx.call("POST", apiPath("sites", ctx.siteId, "services", s.id, "open"));
      await done(t("s.openedOk", { service: s.name }));
    } catch (e) {
      ctx.message(errorText(e), "error");
    }
  }

  function changeQuota(s) {
    const input = el("input", { id: "quota-value", type: "number", min: "0", step: "1", inputmode: "numeric" });
    openDialog({
      title: t("s.quotaTitle", { service: s.name }),
      ok: t("s.save"),
      fields: [field("s.quota", input)],
      focus: "#quota-value",
      submit: async () => {
        const quota = input.value.trim() === "" ? null : Number(input.value);
        await ctx.call("PUT", apiPath("sites", ctx.siteId, "services", s.id, "quota-today"), { json: { quota } });
        return done(t("s.quotaOk", { service: s.name }));
      },
    });
  }

  function reassign(c) {
    const boxes = services().map((s) =>
      el("label", { class: "check" }, el("input", { type: "checkbox", value: s.id, checked: c.service_ids.includes(s.id) }), s.name),
    );
    openDialog({
      title: t("s.reassignTitle", { counter: c.name }),
      ok: t("s.save"),
      fields: [el("fieldset", {}, el("legend", { class: "muted", text: t("s.colServes") }), ...boxes)],
      focus: "input[type=checkbox]",
      submit: async () => {
        const ids = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
        if (!ids.length) return t("s.pickOne");
        await ctx.call("PUT", apiPath("sites", ctx.siteId, "counters", c.id, "services"), { json: { service_ids: ids } });
        return done(t("s.reassignOk", { counter: c.name }));
      },
    });
  }

  return { load, render };
}
