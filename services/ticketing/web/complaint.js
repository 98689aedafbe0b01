/* The citizen's complaint/suggestion form; `?ticket=` links it to the citizen's ticket. */

import { api, detailText } from "./common/api.js";
import { $, el, notice } from "./common/dom.js";
import { addStrings, langToggle, startLang, t } from "./common/i18n.js";
import { apiPath, pathPart, queryParam } from "./common/page.js";
import strings from "./strings/complaint.js";

addStrings(strings);
const siteId = pathPart(1);
const ticketId = queryParam("ticket");
const state = { site: null, ticket: null };

function relabel() {
  document.title = t("c.docTitle");
  if (state.site) $("#site-name").textContent = t("c.ofSite", { site: state.site.name });
  if (state.ticket) $("#ticket-note").textContent = t("c.forTicket", { n: state.ticket.number });
}

async function start() {
  try {
    state.site = await api("GET", apiPath("sites", siteId));
    (state.site.agencies || []).forEach((a) => $("#agency").append(el("option", { value: a.id, text: a.name })));
  } catch (e) {
    notice("#banner", e.status === 404 ? t("common.siteNotFound") : detailText(e.detail));
    $("#form").hidden = true;
    return;
  }
  if (ticketId) {
    try {
      state.ticket = await api("GET", apiPath("tickets", ticketId));
      $("#ticket-note").hidden = false;
      $("#agency").disabled = true;
    } catch (_) {
      /* an unknown ticket: file it without */
    }
  }
  relabel();
}

async function submit(ev) {
  ev.preventDefault();
  const body = {
    kind: document.querySelector("input[name=kind]:checked").value,
    text: $("#text").value,
  };
  if ($("#phone").value.trim()) body.contact_phone = $("#phone").value.trim();
  if (state.ticket) body.ticket_id = ticketId;
  else if ($("#agency").value) body.agency_id = $("#agency").value;
  $("#send").disabled = true;
  try {
    const filed = await api("POST", apiPath("sites", siteId, "complaints"), { json: body });
    $("#number").textContent = filed.number;
    // acknowledged by its kind: a suggestion is not a complaint
    const said = $("#filed-as");
    said.dataset.i18n = filed.kind === "suggestion" ? "c.filedAs.suggestion" : "c.filedAs";
    said.textContent = t(said.dataset.i18n);
    $("#form").hidden = true;
    $("#done").hidden = false;
  } catch (e) {
    notice("#form-error", e.status === 429 ? t("c.tooMany") : detailText(e.detail));
  } finally {
    $("#send").disabled = false;
  }
}

startLang({ remember: true });
relabel();
langToggle($("#lang"), relabel);
$("#form").addEventListener("submit", submit);
start();
