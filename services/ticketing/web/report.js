/* The supervisor's report page: log in (common/staff-login.js: the token lives in
 * sessionStorage, as in the operator console), choose a period and filters, read the
 * figures, see the charts the server draws as SVG (fetched with the token and placed
 * inline), download CSV/XLSX and answer complaints (report-complaints.js). */

import { api, detailText, send } from "./common/api.js";
import { $, el, notice, showView } from "./common/dom.js";
import { addStrings, langToggle, startLang, t } from "./common/i18n.js";
import { count as num, decimal, percent as pct } from "./common/numbers.js";
import { apiPath, pathPart } from "./common/page.js";
import { staffLogin } from "./common/staff-login.js";
import { addDays, siteDay } from "./common/time.js";
import { reportComplaints } from "./report-complaints.js";
import strings from "./strings/report.js";

addStrings(strings);
const siteId = pathPart(1);
const CHARTS = ["heatmap", "wait-trend", "sla"];
const state = { site: null, report: null };

const message = (text) => notice("#message", text);

/** Only a supervisor of this site, or an admin of it or of the deployment. */
function accept(tok) {
  const ofSite = tok.site_id === siteId;
  const admin = tok.role === "admin" && (ofSite || tok.deployment_admin);
  return admin || (tok.role === "supervisor" && ofSite) ? null : t("r.notSupervisor");
}

const login = staffLogin({
  key: "antrian.report.session",
  accept,
  enter,
  leave: () => {
    $("#who").textContent = "";
  },
});
const complaints = reportComplaints({ site: () => state.site, call: login.call, message });

async function enter() {
  $("#who").textContent = login.session.username;
  showView("report");
  try {
    state.site = await api("GET", apiPath("sites", siteId));
  } catch (e) {
    message(e.status === 404 ? t("common.siteNotFound") : detailText(e.detail));
    return;
  }
  $("#site-name").textContent = state.site.name;
  document.title = t("r.docTitle", { site: state.site.name });
  fillFilters();
  if (!$("#f-to").value) {
    const today = siteDay(new Date(), state.site.timezone);
    $("#f-to").value = today;
    $("#f-from").value = addDays(today, -29);
  }
  await refresh();
}

function fillFilters() {
  if ($("#f-agency").options.length > 1) return;
  const fill = (sel, rows) => rows.forEach((r) => $(sel).append(el("option", { value: r.id, text: r.name })));
  fill("#f-agency", state.site.agencies || []);
  fill("#f-service", state.site.services || []);
  fill("#f-counter", state.site.counters || []);
}

function query() {
  const q = new URLSearchParams({ from: $("#f-from").value, to: $("#f-to").value });
  for (const [key, sel] of [["agency_id", "#f-agency"], ["service_id", "#f-service"], ["counter_id", "#f-counter"]]) {
    if ($(sel).value) q.set(key, $(sel).value);
  }
  return q.toString();
}

// --- formatting -------------------------------------------------------------------------

function minutes(seconds) {
  if (seconds == null) return "–";
  const m = seconds / 60;
  return t("r.minutes", { n: m < 10 ? decimal(m, 1) : String(Math.round(m)) });
}

function duration(seconds) {
  if (seconds == null) return "–";
  const h = seconds / 3600;
  return h < 48 ? t("r.hours", { n: decimal(h, 1) }) : t("r.days", { n: decimal(h / 24, 1) });
}

function table(target, header, rows) {
  const node = $(target);
  node.replaceChildren(
    el("thead", {}, el("tr", {}, ...header.map((h) => el("th", { text: t(h) })))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((v) => el("td", { text: String(v) }))))),
  );
  if (!rows.length) {
    node.append(el("tbody", {}, el("tr", {}, el("td", { colspan: header.length, class: "muted", text: t("common.noData") }))));
  }
}

function kpi(label, value, sub, tone) {
  return el(
    "div",
    { class: "kpi" + (tone ? " " + tone : "") },
    el("div", { class: "k-label", text: t(label) }),
    el("div", { class: "k-value", text: value }),
    sub ? el("div", { class: "k-sub", text: sub }) : null,
  );
}

const spread = (s) => t("r.spread", { median: minutes(s.median), p90: minutes(s.p90) });

// --- rendering --------------------------------------------------------------------------

function renderKpis(r) {
  const tot = r.totals;
  const c = r.complaints;
  const slaTone = r.sla.share == null ? null : r.sla.share >= 0.8 ? "ok" : r.sla.share >= 0.6 ? "warn" : "bad";
  const ikmSub = r.ikm.category ? t("r.quality", { category: r.ikm.category, quality: r.ikm.quality }) : t("r.noRespondents");
  $("#kpis").replaceChildren(
    kpi("r.issued", num(tot.issued), t("r.priorityN", { n: num(tot.priority) })),
    kpi("r.served", num(tot.served), null, "ok"),
    kpi("r.noShow", num(tot.no_show), null, "warn"),
    kpi("r.cancelled", num(tot.cancelled)),
    kpi("r.transferred", num(tot.transferred)),
    kpi("r.waitMean", minutes(r.wait_s.mean), spread(r.wait_s)),
    kpi("r.serviceMean", minutes(r.service_s.mean), spread(r.service_s)),
    kpi("r.withinTarget", pct(r.sla.share), t("r.withinOf", { n: num(r.sla.within_target), of: num(r.sla.served) }), slaTone),
    kpi("r.ikm", decimal(r.ikm.ikm, 2), ikmSub),
    kpi("r.complaints", num(c.received), t("r.complaintsSub", { resolved: num(c.resolved), time: duration(c.resolution_mean_s) })),
  );
}

function renderTables(r) {
  const issued = r.totals.issued;
  const channels = Object.entries(r.by_channel).map(([k, v]) => [t("r.channel." + k), num(v), pct(issued ? v / issued : null)]);
  table("#t-channel", ["r.channel", "r.tickets", "r.share"], channels);
  table("#t-counters", ["r.counter", "r.served", "r.serviceTime", "r.median"], r.counters.map((c) => [
    c.counter_name, num(c.served), minutes(c.service_mean_s), minutes(c.service_median_s),
  ]));
  table("#t-clerks", ["r.clerk", "r.counter", "r.served", "r.serviceTime", "r.idle", "r.noShow", "r.recalls"], r.clerks.map((c) => [
    c.username, c.counter_name || "–", num(c.served), minutes(c.service_mean_s), minutes(c.idle_s), num(c.no_show), num(c.recalls),
  ]));
  table("#t-agencies", ["r.agency", "r.tickets", "r.served", "r.withinShort", "r.share"], r.sla_by_agency.map((a) => [
    a.agency_name, num(a.issued), num(a.served), num(a.within_target), pct(a.sla_share),
  ]));
  const head = ["r.service", "r.standard", "r.tickets", "r.served", "r.noShow", "r.cancelled", "r.waitShort", "r.median", "r.p90", "r.withinShort"];
  table("#t-services", head, r.by_service.map((s) => [
    s.service_name, t("r.minutes", { n: s.target_minutes }), num(s.issued), num(s.served), num(s.no_show), num(s.cancelled),
    minutes(s.wait_mean_s), minutes(s.wait_median_s), minutes(s.wait_p90_s), pct(s.sla_share),
  ]));
}

function render(r) {
  state.report = r;
  $("#period").textContent = t("r.period", { site: r.site.name, from: r.from, to: r.to, days: r.days, n: r.days });
  renderKpis(r);
  renderTables(r);
  renderIkm(r.ikm);
  renderHours(r.arrivals_by_hour);
  const c = r.complaints;
  $("#complaint-summary").textContent = t("r.complaintSummary", {
    received: num(c.received), complaints: num(c.complaints), suggestions: num(c.suggestions),
    open: num(c.still_open), resolved: num(c.resolved), time: duration(c.resolution_mean_s),
  });
}

function renderIkm(ikm) {
  const box = $("#ikm");
  if (ikm.ikm == null) {
    box.replaceChildren(el("p", { class: "muted", text: t("r.noIkm") }));
    return;
  }
  const rows = ikm.elements.map((e) => el("tr", {}, el("td", { text: `U${e.element} ${e.name}` }), el("td", { text: decimal(e.mean, 2) })));
  box.replaceChildren(
    el(
      "div",
      { class: "ikm-score" },
      el("span", { class: "ikm-value", text: decimal(ikm.ikm, 2) }),
      el("span", { class: "ikm-cat", text: t("r.ikmCat", { category: ikm.category, quality: ikm.quality }) }),
      el("span", { class: "muted", text: t("r.respondents", { n: num(ikm.respondents) }) }),
    ),
    el(
      "table",
      { class: "data" },
      el("thead", {}, el("tr", {}, el("th", { text: t("r.element") }), el("th", { text: t("r.elementMean") }))),
      el("tbody", {}, ...rows),
    ),
  );
}

function renderHours(hours) {
  const shown = hours.filter((h) => h.tickets > 0);
  const first = Math.min(7, ...shown.map((h) => h.hour));
  const last = Math.max(16, ...shown.map((h) => h.hour));
  const peak = Math.max(1, ...hours.map((h) => h.tickets));
  $("#hours").replaceChildren(...hours.filter((h) => h.hour >= first && h.hour <= last).map((h) => {
    const bar = el("div", { class: "bar" });
    bar.style.height = Math.round((h.tickets / peak) * 100) + "%";
    return el("div", { class: "h" + (h.tickets ? "" : " h0"), title: t("r.hourTitle", { h: h.hour, n: h.tickets }) },
      el("span", { class: "n", text: h.tickets ? num(h.tickets) : "" }), bar, el("span", { text: String(h.hour).padStart(2, "0") }));
  }));
}

/** Fetch a chart's SVG with the token and place it inline (no <img>: it needs the token). */
async function loadChart(name, q) {
  const box = $("#chart-" + name);
  box.setAttribute("aria-busy", "true");
  try {
    const res = await send("GET", `${apiPath("sites", siteId, "reports", "charts", name + ".svg")}?${q}`, { token: login.session.token });
    const svg = new DOMParser().parseFromString(await res.text(), "image/svg+xml").documentElement;
    if (svg.nodeName !== "svg") throw new Error("SVG?");
    box.replaceChildren(document.importNode(svg, true));
  } catch (e) {
    box.replaceChildren(el("p", { class: "muted", text: t("r.chartFailed", { why: detailText(e.detail) || e.message }) }));
  } finally {
    box.setAttribute("aria-busy", "false");
  }
}

async function refresh(ev) {
  if (ev) ev.preventDefault();
  message("");
  $("#loading").hidden = false;
  const q = query();
  try {
    render(await login.call("GET", `${apiPath("sites", siteId, "reports")}?${q}`));
    $("#report").hidden = false;
    await Promise.all(CHARTS.map((name) => loadChart(name, q)));
    await complaints.load();
  } catch (e) {
    if (e.status !== 401) message(e.status === 403 ? t("r.forbidden", { d: detailText(e.detail) }) : detailText(e.detail));
  } finally {
    $("#loading").hidden = true;
  }
}

async function download(path, name) {
  try {
    const res = await send("GET", path, { token: login.session.token });
    const url = URL.createObjectURL(await res.blob());
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    if (e.status === 401) login.show(t("login.expired"));
    else message(detailText(e.detail));
  }
}

// --- start ------------------------------------------------------------------------------

startLang({ remember: true });
langToggle($("#lang"), () => {
  if (state.site) document.title = t("r.docTitle", { site: state.site.name });
  if (state.report) render(state.report);
  if (state.site && !$("#report").hidden) complaints.load().catch(() => {});
});
$("#filters").addEventListener("submit", refresh);
const reports = () => apiPath("sites", siteId, "reports");
$("#dl-csv").addEventListener("click", () => download(`${reports()}.csv?${query()}`, `laporan-${siteId}.csv`));
$("#dl-xlsx").addEventListener("click", () => download(`${reports()}.xlsx?${query()}`, `laporan-${siteId}.xlsx`));
$("#dl-lapor").addEventListener("click", () => {
  const period = new URLSearchParams({ from: $("#f-from").value, to: $("#f-to").value });
  download(`${apiPath("sites", siteId, "complaints")}.csv?${period}`, `pengaduan-${siteId}.csv`);
});
login.start();
