/* The public IKM page of a site: the index, its nine elements, each agency and service.
 * Aggregates only: no comment and nothing about a person is ever shown. */

import { api, detailText } from "./common/api.js";
import { $, el, notice } from "./common/dom.js";
import { addStrings, langToggle, startLang, t } from "./common/i18n.js";
import { decimal as dec } from "./common/numbers.js";
import { apiPath, pathPart } from "./common/page.js";
import strings from "./strings/survey.js";

addStrings(strings);
const siteId = pathPart(1);
let shown = null;

function rows(target, header, data) {
  const body = data.length ? data : [[t("ikm.none"), "", "", ""].slice(0, header.length)];
  $(target).replaceChildren(
    el("thead", {}, el("tr", {}, ...header.map((h) => el("th", { text: t(h) })))),
    el("tbody", {}, ...body.map((r) => el("tr", {}, ...r.map((v) => el("td", { text: String(v) }))))),
  );
}

function render(r) {
  shown = r;
  $("#site-name").textContent = t("ikm.ofSite", { site: r.site.name });
  document.title = t("ikm.ofSite", { site: r.site.name });
  $("#range").textContent = t("common.period", { from: r.from, to: r.to });
  $("#value").textContent = dec(r.ikm, 2);
  $("#category").hidden = !r.category;
  $("#category").textContent = r.category ? t("ikm.quality", { category: r.category, quality: r.quality }) : "";
  $("#respondents").textContent = t("ikm.respondents", { n: r.respondents });
  rows("#elements", ["ikm.element", "ikm.mean"], r.elements.map((e) => [`U${e.element} ${e.name}`, dec(e.mean, 2)]));
  const line = (x, name) => [name, dec(x.ikm, 2), x.category ? `${x.category} (${x.quality})` : "–", x.respondents];
  const head = (first) => [first, "ikm.index", "ikm.grade", "ikm.count"];
  rows("#agencies", head("ikm.agency"), r.by_agency.map((a) => line(a, a.agency_name || a.agency_id)));
  rows("#services", head("ikm.service"), r.by_service.map((s) => line(s, s.service_name)));
}

async function load(ev) {
  if (ev) ev.preventDefault();
  const q = new URLSearchParams();
  if ($("#from").value) q.set("from", $("#from").value);
  if ($("#to").value) q.set("to", $("#to").value);
  try {
    const r = await api("GET", `${apiPath("sites", siteId, "ikm")}?${q}`);
    notice("#banner", "");
    $("#from").value = r.from;
    $("#to").value = r.to;
    render(r);
  } catch (e) {
    notice("#banner", e.status === 404 ? t("common.siteNotFound") : detailText(e.detail));
  }
}

startLang({ remember: true });
langToggle($("#lang"), () => shown && render(shown));
$("#period").addEventListener("submit", load);
load();
