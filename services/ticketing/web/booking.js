/* The citizen's online booking on their phone: phone number → SMS code (the site's
 * verification, POST …/phone-verifications and …/confirm) → agency and service → either a
 * ticket now (an online ticket) or a day and slot (GET …/slots, POST …/appointments) →
 * the appointment code with its kiosk check-in window in the site's zone (from the answer's
 * check_in_from / check_in_until), an .ics file for the phone's calendar and a cancel for
 * the holder (DELETE /api/appointments/{code} with the booking phone's last 4 digits).
 * The SMS's link, /booking/{site}#{code}, opens that appointment for its holder: the code
 * in the fragment (never sent to the server), the phone's last 4 digits asked for. */

import { api, errorText } from "./common/api.js";
import { $, el, notice, showView } from "./common/dom.js";
import { addStrings, langToggle, startLang, t } from "./common/i18n.js";
import { apiPath, pathPart } from "./common/page.js";
import { standardList } from "./common/standard.js";
import { addDays, formatDate, siteDay, zonedTime } from "./common/time.js";
import { icsEvent } from "./booking-ics.js";
import strings from "./strings/booking.js";

addStrings(strings);
const siteId = pathPart(1);
const DAYS_AHEAD = 14; // the form's range; the API refuses a day past the service's own limit

const state = {
  site: null,
  view: "loading",
  phone: "",
  verification: null,
  token: null,
  service: null,
  appointment: null,
  slots: null,
  cancelled: null,
  linked: null,
  busy: false,
};

const banner = (text) => notice("#banner", text);
const tz = () => (state.site ? state.site.timezone : undefined);

function show(view) {
  state.view = view;
  showView(view);
  banner("");
  const heading = $(`#view-${view} h2`);
  if (heading) heading.scrollIntoView({ block: "start" });
}

/** A refusal as the citizen reads it: a rate limit in plain words, otherwise the API's
 * own Indonesian reason. */
function failure(e) {
  return e.status === 429 ? t("b.tooMany") : errorText(e);
}

/** Run one request at a time (a double tap sends one SMS); a refusal goes in the banner. */
async function guarded(button, work) {
  if (state.busy) return;
  state.busy = true;
  if (button) button.disabled = true;
  try {
    await work();
  } catch (e) {
    banner(failure(e));
  } finally {
    state.busy = false;
    if (button) button.disabled = false;
  }
}

// --- site -------------------------------------------------------------------------------

async function loadSite() {
  try {
    state.site = await api("GET", apiPath("sites", siteId));
  } catch (e) {
    showView("none");
    banner(e.status === 404 ? t("common.siteNotFound") : errorText(e));
    return;
  }
  $("#site-name").textContent = state.site.name;
  document.title = `${t("b.title")} — ${state.site.name}`;
  state.linked = linkedCode();
  if (state.linked) {
    renderHolder();
    show("holder");
    $("#last4").focus();
  } else {
    show("phone");
  }
}

/** The appointment code of the SMS's link (`#7KQ2M4AB`), or null. */
function linkedCode() {
  const code = decodeURIComponent(location.hash.slice(1)).replace(/[\s-]/g, "").toUpperCase();
  return /^[A-Z0-9]{4,16}$/.test(code) ? code : null;
}

function renderHolder() {
  if (state.linked) $("#holder-code").textContent = t("b.holderCode", { code: state.linked });
}

/** The holder proves the booking phone's last 4 digits and sees (or cancels) it. */
async function openLinked(event) {
  event.preventDefault();
  await guarded($("#open-appointment"), async () => {
    const last4 = $("#last4").value.trim();
    const appointment = await api("GET", apiPath("appointments", state.linked), {
      headers: { "Phone-Last4": last4 },
    });
    state.phone = last4; // what cancel() sends as Phone-Last4
    state.appointment = appointment;
    renderAppointment();
    $("#confirm-cancel").hidden = true;
    $("#cancel").hidden = appointment.status !== "booked";
    show("done");
  });
}

function servicesOf(agencyId) {
  return state.site.services.filter((s) => s.agency_id === agencyId);
}

function serviceById(id) {
  return state.site.services.find((s) => s.id === id) || null;
}

// --- step 1 and 2: the phone and its SMS code -------------------------------------------

async function sendCode(event) {
  event.preventDefault();
  await guarded($("#send-code"), async () => {
    const phone = $("#phone").value.trim();
    const sent = await api("POST", apiPath("sites", siteId, "phone-verifications"), {
      json: { phone },
    });
    state.phone = phone;
    state.verification = sent;
    renderCodeSent();
    $("#code").value = "";
    show("code");
    $("#code").focus();
  });
}

function renderCodeSent() {
  const sent = state.verification;
  if (!sent) return;
  $("#code-sent").textContent = t("b.codeSent", {
    phone: sent.phone,
    time: zonedTime(sent.expires_at, tz()),
  });
}

async function confirmCode(event) {
  event.preventDefault();
  await guarded($("#confirm-code"), async () => {
    const proof = await api(
      "POST",
      apiPath("phone-verifications", state.verification.verification_id, "confirm"),
      { json: { code: $("#code").value.trim() } },
    );
    state.token = proof.verification_token;
    renderAgencies();
    show("service");
  });
}

// --- step 3: agency and service ---------------------------------------------------------

function renderAgencies() {
  const select = $("#agency");
  const chosen = select.value;
  const agencies = state.site.agencies.filter((a) => servicesOf(a.id).length > 0);
  select.replaceChildren(...agencies.map((a) => el("option", { value: a.id, text: a.name })));
  if (chosen && agencies.some((a) => a.id === chosen)) select.value = chosen;
  renderServices();
}

function renderServices() {
  const select = $("#service");
  const chosen = select.value;
  const services = servicesOf($("#agency").value);
  select.replaceChildren(...services.map((s) => el("option", { value: s.id, text: s.name })));
  if (chosen && services.some((s) => s.id === chosen)) select.value = chosen;
}

/** "Now" only while the service takes tickets (GET …/queues); otherwise its reason. */
async function renderNow() {
  $("#now").hidden = true;
  $("#now-help").hidden = true;
  notice("#now-closed", "");
  let queue = null;
  try {
    const queues = await api("GET", apiPath("sites", siteId, "queues"));
    queue = queues[state.service.id] || null;
  } catch (_) {
    return; // appointments still work; the API decides again when a ticket is asked for
  }
  if (queue && queue.open) {
    $("#now").hidden = false;
    $("#now-help").hidden = false;
  } else if (queue) {
    notice("#now-closed", queue.closed_reason || t("b.closedNow"));
  }
}

function chooseService(event) {
  event.preventDefault();
  state.service = serviceById($("#service").value);
  if (!state.service) return;
  renderNow();
  $("#when-service").textContent = state.service.name;
  $("#when-standard").replaceChildren(standardList(state.service, false));
  const today = siteDay(new Date(), tz());
  const day = $("#day");
  day.min = today;
  day.max = addDays(today, DAYS_AHEAD);
  if (!day.value || day.value < today) day.value = addDays(today, 1);
  state.slots = null;
  $("#slots").replaceChildren();
  notice("#slots-note", "");
  show("when");
}

// --- step 4: now, or a day and a slot -----------------------------------------------------

async function takeNow() {
  await guarded($("#now"), async () => {
    const ticket = await api("POST", apiPath("sites", siteId, "tickets"), {
      json: {
        service_id: state.service.id,
        channel: "online",
        phone: state.phone,
        verification_token: state.token,
      },
    });
    $("#t-number").textContent = ticket.number;
    $("#t-service").textContent = ticket.service_name;
    $("#t-link").href = ticket.tracking_url; // the holder's link, its key in the fragment
    show("ticket");
  });
}

async function showSlots(event) {
  event.preventDefault();
  await guarded($("#show-slots"), async () => {
    const day = $("#day").value;
    const path = apiPath("sites", siteId, "services", state.service.id, "slots");
    const slots = await api("GET", `${path}?date=${encodeURIComponent(day)}`);
    const now = Date.now();
    const open = slots.filter((s) => new Date(s.start).getTime() > now);
    state.slots = { day, list: open };
    renderSlots();
  });
}

function renderSlots() {
  if (!state.slots) return;
  const { day, list: slots } = state.slots;
  notice("#slots-note", slots.length ? "" : t("b.noSlots"));
  $("#slots").replaceChildren(
    ...slots.map((s) =>
      el("button", {
        type: "button",
        class: "btn secondary",
        disabled: s.free === 0,
        dataset: { time: s.time },
        text: s.free === 0 ? t("b.slotFull", { time: s.time }) : t("b.slot", { time: s.time, n: s.free }),
        onclick: (e) => book(e.currentTarget, day, s),
      }),
    ),
  );
}

async function book(button, day, slot) {
  await guarded(button, async () => {
    const appointment = await api("POST", apiPath("sites", siteId, "appointments"), {
      json: {
        service_id: state.service.id,
        date: day,
        time: slot.time.replace(".", ":"),
        phone: state.phone,
        verification_token: state.token,
      },
    });
    state.appointment = appointment;
    renderAppointment();
    $("#confirm-cancel").hidden = true;
    $("#cancel").hidden = false;
    show("done");
  });
}

// --- step 5: the appointment ----------------------------------------------------------------

function checkInWindow(a) {
  return t("b.checkInWindow", {
    from: zonedTime(a.check_in_from, tz()),
    until: zonedTime(a.check_in_until, tz()),
  });
}

function renderAppointment() {
  const a = state.appointment;
  if (!a) return;
  const service = serviceById(a.service_id);
  $("#a-code").textContent = a.code;
  $("#a-service").textContent = service ? service.name : a.service_id;
  $("#a-when").textContent = `${formatDate(a.slot_start, tz())}, ${zonedTime(a.slot_start, tz())}`;
  $("#a-window").textContent = checkInWindow(a);
}

function downloadIcs() {
  const a = state.appointment;
  const service = serviceById(a.service_id);
  const text = icsEvent({
    uid: `${a.id}@antrian-mpp`,
    start: a.slot_start,
    end: a.slot_end,
    summary: t("b.icsSummary", { service: service ? service.name : a.service_id, site: state.site.name }),
    location: `${state.site.name}, ${state.site.address}`,
    description: t("b.icsDescription", { code: a.code, window: checkInWindow(a) }),
  });
  const url = URL.createObjectURL(new Blob([text], { type: "text/calendar;charset=utf-8" }));
  const link = el("a", { href: url, download: `janji-temu-${a.code}.ics`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function cancel() {
  await guarded($("#yes-cancel"), async () => {
    const last4 = state.phone.replace(/\D/g, "").slice(-4);
    const gone = await api("DELETE", apiPath("appointments", state.appointment.code), {
      headers: { "Phone-Last4": last4 },
    });
    state.cancelled = gone.code;
    state.appointment = null;
    renderCancelled();
    show("cancelled");
  });
}

function renderCancelled() {
  if (state.cancelled) $("#cancelled-text").textContent = t("b.cancelled", { code: state.cancelled });
}

// --- wiring ----------------------------------------------------------------------------------

function rerender() {
  if (state.site) document.title = `${t("b.title")} — ${state.site.name}`;
  renderCodeSent();
  renderHolder();
  renderAppointment();
  renderSlots();
  renderCancelled();
  if (state.service) $("#when-standard").replaceChildren(standardList(state.service, false));
}

function wire() {
  $("#phone-form").addEventListener("submit", sendCode);
  $("#holder-form").addEventListener("submit", openLinked);
  $("#code-form").addEventListener("submit", confirmCode);
  $("#resend").addEventListener("click", () => show("phone"));
  $("#agency").addEventListener("change", renderServices);
  $("#service-form").addEventListener("submit", chooseService);
  $("#now").addEventListener("click", takeNow);
  $("#day-form").addEventListener("submit", showSlots);
  $("#when-back").addEventListener("click", () => show("service"));
  $("#ics").addEventListener("click", downloadIcs);
  $("#cancel").addEventListener("click", () => {
    $("#confirm-cancel").hidden = false;
    $("#yes-cancel").focus();
  });
  $("#no-cancel").addEventListener("click", () => {
    $("#confirm-cancel").hidden = true;
  });
  $("#yes-cancel").addEventListener("click", cancel);
  $("#again").addEventListener("click", () => show(state.token ? "service" : "phone"));
}

startLang({ remember: true });
langToggle($("#lang"), rerender);
wire();
loadSite();
