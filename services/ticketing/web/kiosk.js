/* The kiosk: agency → service → (priority, optional phone) → ticket with QR → back to start,
 * or "Saya punya janji temu" (kiosk-appointment.js) → check-in → the same ticket screen.
 * One Idempotency-Key per ticket attempt, so a double tap or a retry after a lost answer
 * never issues two tickets. Closed services, and when today's quota is forecast to run
 * out, come from the queues answer before anyone taps. Where the site requires enrolled
 * kiosks, the kiosk pairs first (kiosk-pair.js) and sends its token with every ticket and
 * check-in; the QR is the holder's own link (`/t/{id}#key=…`), drawn here (common/qr.js).
 * Every citizen starts in Bahasa Indonesia: English, once chosen, lasts until the ticket
 * screen closes, the kiosk sits idle or the page reloads; nothing is kept in storage. */

import { api, detailText, uuid } from "./common/api.js";
import { $, el, notice, showView } from "./common/dom.js";
import { addStrings, currentLang, langToggle, setLang, startLang, t } from "./common/i18n.js";
import { apiPath, pathPart } from "./common/page.js";
import { drawQr } from "./common/qr.js";
import { costText, pledgeBlock, standardList } from "./common/standard.js";
import { formatDate, formatWait, zonedTime } from "./common/time.js";
import { kioskAppointment } from "./kiosk-appointment.js";
import { ServiceLines } from "./kiosk-lines.js";
import * as pairing from "./kiosk-pair.js";
import strings from "./strings/kiosk.js";

addStrings(strings);
const siteId = pathPart(1);
const QUEUES_EVERY_MS = 10000;
const TICKET_SCREEN_S = 20;
const IDLE_RESET_MS = 90000;

const lines = new ServiceLines();
const state = {
  site: null,
  agency: null,
  service: null,
  priority: false,
  phone: "",
  attemptKey: null,
  inFlight: false,
  countdown: null,
  idle: null,
  code: "", // the appointment code being typed
  token: pairing.token(siteId), // this kiosk's enrolment, where the site needs one
  pairing: null, // the pairing in progress (a promise of the new token)
};

function show(view) {
  showView(view);
  state.view = view;
  armIdle();
}

const banner = (text) => notice("#banner", text);

// --- site and queues ------------------------------------------------------------------

async function loadSite() {
  try {
    state.site = await api("GET", apiPath("sites", siteId));
  } catch (e) {
    banner(e.status === 404 ? t("common.siteNotFound") : detailText(e.detail));
    setTimeout(loadSite, 5000);
    return;
  }
  banner("");
  document.title = `${t("kiosk.title")} — ${state.site.name}`;
  $("#site-name").textContent = state.site.name;
  $("#r-site").textContent = state.site.name;
  tickClock();
  if (state.site.kiosk_required && !state.token) await pair(false);
  await refreshQueues();
  setInterval(refreshQueues, QUEUES_EVERY_MS);
  startOver();
}

async function refreshQueues() {
  try {
    lines.queues = await api("GET", apiPath("sites", siteId, "queues"));
    if ($("#banner").textContent === t("common.offline")) banner("");
  } catch (e) {
    if (e.status === 0) banner(t("common.offline"));
    return;
  }
  if (state.view === "agencies") renderAgencies();
  if (state.view === "services") renderServices();
  if (state.view === "confirm") renderConfirmMeta();
}

function servicesOf(agencyId) {
  return state.site.services.filter((s) => s.agency_id === agencyId);
}

// --- enrolment -----------------------------------------------------------------------

/** Show the pairing screen until a supervisor has enrolled this kiosk. */
async function pair(revoked) {
  stopCountdown();
  if (!state.pairing) {
    show("pair");
    state.pairing = pairing.pair(siteId, revoked);
  }
  state.token = await state.pairing;
  state.pairing = null;
}

/** A call as this kiosk. A 401 means its enrolment is gone: pair again, then start over. */
async function call(method, path, opts) {
  try {
    return await api(method, path, Object.assign({}, opts, { token: state.token || undefined }));
  } catch (e) {
    if (e.status === 401 && state.site && state.site.kiosk_required) {
      pairing.forget(siteId);
      state.token = null;
      pair(true).then(startOver);
    }
    throw e;
  }
}

// --- step 1: agencies -----------------------------------------------------------------

function agenciesWithServices() {
  return state.site.agencies.filter((a) => servicesOf(a.id).length > 0);
}

function renderAgencies() {
  const grid = $("#agency-grid");
  grid.replaceChildren(
    ...agenciesWithServices().map((a) => {
      const services = servicesOf(a.id);
      const waiting = services.reduce((n, s) => n + lines.waiting(s.id), 0);
      const allClosed = services.every((s) => lines.isClosed(s.id));
      return el(
        "button",
        {
          type: "button",
          class: "tile" + (allClosed ? " closed" : ""),
          dataset: { agency: a.id },
          onclick: () => chooseAgency(a),
        },
        el("span", { class: "tile-name", text: a.name }),
        el("span", { class: "tile-meta", text: t("kiosk.services", { n: services.length }) }),
        allClosed
          ? el("span", { class: "badge-closed", text: t("kiosk.closed") })
          : el("span", { class: "waiting", text: t("kiosk.waiting", { n: waiting }) }),
      );
    }),
  );
  $("#home-pledge").replaceChildren(pledgeBlock(state.site));
}

function chooseAgency(agency) {
  state.agency = agency;
  $("#agency-name").textContent = agency.name;
  renderServices();
  show("services");
  refreshQueues();  // a closure or a new quota shows the moment a citizen looks, not 10 s later
}

// --- step 2: services -----------------------------------------------------------------

function renderServices() {
  if (!state.agency) return;
  const grid = $("#service-grid");
  grid.replaceChildren(
    ...servicesOf(state.agency.id).map((s) => {
      const closed = lines.isClosed(s.id);
      const q = lines.of(s.id);
      const quota = lines.quotaNote(s.id);
      return el(
        "button",
        {
          type: "button",
          class: "tile" + (closed ? " closed" : ""),
          disabled: closed,
          dataset: { service: s.id },
          onclick: () => chooseService(s),
        },
        el(
          "span",
          { class: "tile-row" },
          el("span", { class: "svc-prefix", text: s.prefix }),
          el("span", { class: "tile-name", text: s.name }),
        ),
        closed
          ? el("span", { class: "badge-closed", text: t("kiosk.closed") })
          : el("span", { class: "waiting", text: t("kiosk.waiting", { n: q ? q.waiting : 0 }) }),
        closed
          ? el("span", { class: "tile-meta closed-reason", text: lines.closedReason(s.id) })
          : el("span", {
              class: "tile-meta",
              text: q ? waitLine(q.estimated_wait_s) : "",
            }),
        quota ? el("span", { class: "quota", text: quota }) : null,
        s.standard ? el("span", { class: "tile-meta cost", text: `${t("std.cost")}: ${costText({ ...s.standard, cost_note: "" })}` }) : null,
        q && q.place && !closed ? el("span", { class: "tile-meta", text: t("kiosk.placeToday", { p: q.place }) }) : null,
      );
    }),
  );
}

// --- step 3: confirm, priority, phone -------------------------------------------------

function chooseService(service) {
  state.service = service;
  state.priority = false;
  setPhone("");
  newAttempt();
  $("#confirm-prefix").textContent = service.prefix;
  $("#confirm-service").textContent = service.name;
  $("#priority").setAttribute("aria-pressed", "false");
  issueError("");
  setTaking(false);
  renderConfirmMeta(); // after setTaking: a closed service keeps "Ambil Tiket" disabled
  $("#confirm-standard").replaceChildren(standardList(service, false));
  show("confirm");
}

/** "Perkiraan tunggu 5 menit", or "belum ada loket yang melayani" when no staffed counter
 * serves the service (no estimate then). */
function waitLine(seconds) {
  return seconds == null ? formatWait(null) : t("kiosk.wait", { t: formatWait(seconds) });
}

function renderConfirmMeta() {
  if (!state.service) return;
  const q = lines.of(state.service.id);
  const id = state.service.id;
  const reason = lines.closedReason(id);
  const quota = lines.quotaNote(id);
  $("#confirm-meta").textContent = lines.isClosed(id)
    ? t("kiosk.closed") + (reason ? ": " + reason : "")
    : `${t("kiosk.waiting", { n: q ? q.waiting : 0 })} · ${q ? waitLine(q.estimated_wait_s) : ""}` +
      (quota ? ` · ${quota}` : "");
  if (lines.isClosed(id) && !state.inFlight) $("#take").disabled = true;
}

/** A new ticket attempt: a new key. Any change to what is asked for is a new attempt. */
function newAttempt() {
  state.attemptKey = uuid();
}

function setPhone(value) {
  state.phone = value.replace(/\D/g, "").slice(0, 15);
  const shown = state.phone.replace(/(\d{4})(?=\d)/g, "$1 ");
  $("#phone").value = shown;
}

const issueError = (text) => notice("#issue-error", text);

function setTaking(busy) {
  state.inFlight = busy;
  const b = $("#take");
  b.disabled = busy;
  b.textContent = t(busy ? "kiosk.taking" : "kiosk.take");
}

async function take() {
  if (state.inFlight || !state.service) return;
  setTaking(true); // disabled before anything else: a second tap finds it disabled
  issueError("");
  const service = state.service;
  const body = { service_id: service.id, priority: state.priority ? "priority" : "regular", channel: "kiosk" };
  if (state.phone) body.phone = state.phone;
  let ticket;
  try {
    ticket = await call("POST", apiPath("sites", siteId, "tickets"), {
      json: body,
      headers: { "Idempotency-Key": state.attemptKey },
    });
  } catch (e) {
    setTaking(false);
    if (e.status === 401) return; // back to pairing; the citizen's choice is dropped
    if (e.status === 409) {
      lines.refused(service.id, detailText(e.detail));
      issueError(`${t("kiosk.closed")}: ${detailText(e.detail)}`);
      $("#take").disabled = true;
      renderConfirmMeta();
    } else if (e.status === 422) {
      issueError(detailText(e.detail));
      newAttempt();
    } else {
      // network trouble or 5xx: the same key is kept, so trying again cannot duplicate
      issueError(detailText(e.detail));
    }
    return;
  }
  const hadPhone = Boolean(state.phone);
  setPhone(""); // the number leaves the screen as soon as the ticket exists
  state.attemptKey = null;
  showTicket(ticket, hadPhone);
  setTaking(false);
}

// --- step 4: the ticket ---------------------------------------------------------------

function showTicket(ticket, sms, note) {
  const tz = state.site.timezone;
  const time = zonedTime(ticket.issued_at, tz);
  const wait = formatWait(ticket.estimated_wait_s);
  // the holder's link as the server built it on PUBLIC_BASE_URL (the address phones open,
  // never this kiosk's own location), with the key in its fragment when the answer has one
  const link = ticket.tracking_url;
  $("#t-number").textContent = ticket.number;
  $("#t-service").textContent = ticket.service_name;
  $("#t-ahead").textContent = String(ticket.waiting_ahead);
  $("#t-wait").textContent = wait;
  $("#t-time").textContent = time;
  drawQr($("#t-qr"), link);
  const flags = [];
  if (note) flags.push(note);
  if (ticket.priority === "priority") flags.push(t("kiosk.priorityOn"));
  if (sms) flags.push(t("kiosk.smsOn"));
  $("#t-flags").textContent = flags.join(" · ");
  const service = state.site.services.find((s) => s.id === ticket.service_id);
  $("#t-standard").replaceChildren(service ? standardList(service, true) : "");
  $("#view-ticket").dataset.ticketId = ticket.id;
  // the receipt
  $("#r-number").textContent = ticket.number;
  $("#r-service").textContent = ticket.service_name;
  $("#r-ahead").textContent = String(ticket.waiting_ahead);
  $("#r-wait").textContent = wait;
  $("#r-flags").textContent = ticket.priority === "priority" ? t("kiosk.priorityOn") : "";
  $("#r-time").textContent = `${formatDate(ticket.issued_at, tz)}, ${time}`;
  drawQr($("#r-qr"), link);
  show("ticket");
  startCountdown();
  refreshQueues();
}

function startCountdown() {
  stopCountdown();
  let left = TICKET_SCREEN_S;
  const tick = () => {
    $("#countdown").textContent = t("kiosk.returning", { n: left });
    if (left-- <= 0) startOver();
  };
  tick();
  state.countdown = setInterval(tick, 1000);
}

function stopCountdown() {
  if (state.countdown) clearInterval(state.countdown);
  state.countdown = null;
}

/** The next citizen: the start screen, in Bahasa Indonesia, nothing of the last one. */
function startOver() {
  stopCountdown();
  state.agency = null;
  state.service = null;
  state.priority = false;
  setPhone("");
  issueError("");
  setLang("id");
  const agencies = agenciesWithServices();
  if (agencies.length === 1) {
    chooseAgency(agencies[0]);
    $("#back-agencies").hidden = true;
    return;
  }
  renderAgencies();
  show("agencies");
}

/** A walk-away citizen's half-finished choice (and typed number, and language) does not
 * linger: after a while without a touch the kiosk starts over. */
function armIdle() {
  if (state.idle) clearTimeout(state.idle);
  const midway = state.view === "services" || state.view === "confirm" || state.view === "appointment";
  if (midway || (state.view === "agencies" && currentLang() !== "id")) {
    state.idle = setTimeout(startOver, IDLE_RESET_MS);
  }
}

/** What scripts wrote, again in the language just chosen. */
function relabel() {
  if (state.site) document.title = `${t("kiosk.title")} — ${state.site.name}`;
  if (state.view === "agencies") renderAgencies();
  if (state.view === "services") renderServices();
  if (state.view === "confirm") {
    renderConfirmMeta();
    $("#confirm-standard").replaceChildren(standardList(state.service, false));
    setTaking(state.inFlight);
  }
  if (state.view === "appointment") appointment.relabel();
  armIdle();
}

// --- wiring ---------------------------------------------------------------------------

function tickClock() {
  if (!state.site) return;
  const tz = state.site.timezone;
  $("#clock").textContent = zonedTime(new Date(), tz);
}

const appointment = kioskAppointment({
  state,
  siteId,
  show,
  showTicket,
  stopCountdown,
  startOver: () => startOver(),
  call,
});

function onKeypad(ev) {
  const key = ev.target.closest("button[data-key]");
  if (!key || state.inFlight) return;
  const k = key.dataset.key;
  if (k === "clear") setPhone("");
  else if (k === "back") setPhone(state.phone.slice(0, -1));
  else setPhone(state.phone + k);
  newAttempt();
  issueError("");
  if (!lines.isClosed(state.service.id)) $("#take").disabled = false;
}

function wire() {
  // a kiosk serves one citizen after another: nothing of the language is kept
  startLang({ remember: false });
  langToggle($("#lang"), relabel);
  $("#back-agencies").addEventListener("click", startOver);
  $("#back-services").addEventListener("click", () => {
    setPhone("");
    state.service = null;
    renderServices();
    show("services");
  });
  $("#priority").addEventListener("click", () => {
    if (state.inFlight) return;
    state.priority = !state.priority;
    $("#priority").setAttribute("aria-pressed", String(state.priority));
    newAttempt();
  });
  $("#keypad").addEventListener("click", onKeypad);
  $("#take").addEventListener("click", take);
  appointment.wire();
  $("#done").addEventListener("click", startOver);
  $("#print").addEventListener("click", () => {
    startCountdown();
    window.print();
  });
  document.addEventListener("pointerdown", armIdle, { passive: true });
}

wire();
tickClock();
setInterval(tickClock, 1000);
loadSite();
