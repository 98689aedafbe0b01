/* The survey (SKM) a citizen answers after being served: nine elements, 1–4 each, and
 * free text. The SMS link's `sig`, or the holder's key from the fragment (`#key=…`, from
 * the tracking page), is passed on to the API, which decides. */

import { api, detailText } from "./common/api.js";
import { $, el, notice } from "./common/dom.js";
import { addStrings, has, langToggle, startLang, t } from "./common/i18n.js";
import { apiPath, hashParam, pathPart, queryParam } from "./common/page.js";
import strings from "./strings/survey.js";

addStrings(strings);
const ticketId = pathPart(1);
const sig = queryParam("sig");
const q = sig ? "?sig=" + encodeURIComponent(sig) : "";
const key = hashParam("key");
const headers = !sig && key ? { "Ticket-Key": key } : {};
const path = apiPath("tickets", ticketId, "survey") + q;
let form = null;
let refusal = null;

function why(e) {
  if (e.status === 404) return t("s.notFound");
  if (e.status === 401 || e.status === 403) return t("s.badLink");
  if (e.status === 409) return t("s.closed");
  return detailText(e.detail);
}

function complainLink() {
  $("#complain-link").href = `/pengaduan/${encodeURIComponent(form.site_id)}?ticket=${encodeURIComponent(ticketId)}`;
}

function question(e) {
  // a plain question a citizen understands; the regulation's element (unsur) name under it
  const key = "s.q" + e.element;
  const title = el(
    "div",
    { class: "q", id: "q" + e.element },
    `${e.element}. `,
    el("span", { dataset: { i18n: key }, text: has(key) ? t(key) : e.name }),
    el("small", { class: "unsur", text: e.name }),
  );
  const choices = form.answers.map((a) => {
    const input = el("input", { type: "radio", name: "u" + e.element, value: String(a.value), required: true });
    const label = el("label", {}, input, el("span", { class: "v", text: String(a.value) }), el("span", { text: a.label }));
    input.addEventListener("change", () => {
      label.parentElement.querySelectorAll("label").forEach((l) => l.classList.toggle("on", l === label));
      label.closest("li").classList.remove("missing");
      if (!document.querySelector(".elements li.missing")) $("#form-error").hidden = true;
    });
    return label;
  });
  const scale = el("div", { class: "scale", role: "radiogroup", "aria-labelledby": "q" + e.element }, ...choices);
  return el("li", { dataset: { element: e.element } }, title, scale);
}

function render() {
  $("#site-name").textContent = form.site_name;
  $("#intro").textContent = t("s.intro", { service: form.service_name, number: form.number });
  complainLink();
  $("#elements").replaceChildren(...form.elements.map(question));
  $("#survey").hidden = false;
}

async function submit(ev) {
  ev.preventDefault();
  const answers = [];
  let firstMissing = null;
  form.elements.forEach((e) => {
    const picked = document.querySelector(`input[name="u${e.element}"]:checked`);
    const li = document.querySelector(`li[data-element="${e.element}"]`);
    li.classList.toggle("missing", !picked);
    if (!picked && !firstMissing) firstMissing = li;
    answers.push(picked ? Number(picked.value) : null);
  });
  if (firstMissing) {
    notice("#form-error", t("s.missing"));
    firstMissing.scrollIntoView({ block: "center" });
    return;
  }
  notice("#form-error", "");
  $("#send").disabled = true;
  try {
    await api("POST", path, { json: { answers, comment: $("#comment").value }, headers });
    $("#survey").hidden = true;
    $("#thanks").hidden = false;
  } catch (e) {
    notice("#form-error", why(e));
  } finally {
    $("#send").disabled = false;
  }
}

async function start() {
  try {
    form = await api("GET", path, { headers });
    if (form.answered) {
      $("#site-name").textContent = form.site_name;
      $("#thanks").hidden = false;
      complainLink();
    } else {
      render();
    }
  } catch (e) {
    refusal = e;
    notice("#banner", why(e));
  } finally {
    $("#loading").hidden = true;
  }
}

startLang({ remember: true });
document.title = t("s.docTitle");
langToggle($("#lang"), () => {
  document.title = t("s.docTitle");
  if (form && !form.answered) $("#intro").textContent = t("s.intro", { service: form.service_name, number: form.number });
  if (refusal) notice("#banner", why(refusal));
  if (!$("#form-error").hidden && document.querySelector(".elements li.missing")) notice("#form-error", t("s.missing"));
});
$("#survey").addEventListener("submit", submit);
start();
