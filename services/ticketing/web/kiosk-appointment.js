/* The kiosk's "Saya punya janji temu": a booking code typed on an on-screen keyboard (or by
 * a keyboard or code scanner) → check-in → the kiosk's ticket screen. `kioskAppointment`
 * is given what it needs of the kiosk (kiosk.js): its state, views, the ticket screen and
 * its authenticated call. */

import { detailText } from "./common/api.js";
import { $, el, notice } from "./common/dom.js";
import { t } from "./common/i18n.js";
import { apiPath } from "./common/page.js";

const CODE_LENGTH = 8; // 40 bits: booking codes cannot be guessed (appointment_access.py)
const CODE_KEYS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // booking codes have no 0/O, 1/I
let kiosk = null; // what the kiosk gave kioskAppointment
let state = null; // the kiosk's state

function open() {
  kiosk.stopCountdown();
  state.code = "";
  error("");
  setCheckingIn(false);
  renderCode();
  kiosk.show("appointment");
}

const error = (text) => notice("#appt-error", text);

function renderCode() {
  const boxes = [];
  for (let i = 0; i < CODE_LENGTH; i++) {
    boxes.push(el("span", { class: i === state.code.length ? "next" : "", text: state.code[i] || "" }));
  }
  $("#appt-code").replaceChildren(...boxes);
  $("#appt-code").setAttribute("aria-label", state.code);
  $("#appt-go").disabled = state.inFlight || state.code.length !== CODE_LENGTH;
}

function typeCode(key) {
  if (state.inFlight) return;
  if (key === "clear") state.code = "";
  else if (key === "back") state.code = state.code.slice(0, -1);
  else if (CODE_KEYS.includes(key)) state.code = (state.code + key).slice(-CODE_LENGTH);
  else return;
  error("");
  renderCode();
}

function setCheckingIn(busy) {
  state.inFlight = busy;
  const b = $("#appt-go");
  b.textContent = t(busy ? "kiosk.checkingIn" : "kiosk.checkIn");
  b.disabled = busy || state.code.length !== CODE_LENGTH;
}

async function checkIn() {
  if (state.inFlight || state.code.length !== CODE_LENGTH) return;
  const code = state.code;
  setCheckingIn(true);
  error("");
  const path = apiPath("sites", kiosk.siteId, "appointments", code, "check-in");
  let ticket = null;
  try {
    // checked in here before (a lost answer, a second tap): the same ticket, `replayed`
    ticket = await kiosk.call("POST", path);
  } catch (e) {
    if (e.status === 401) {
      setCheckingIn(false);
      return; // the kiosk lost its enrolment: kiosk.call went back to pairing
    }
    error(e.status === 404 ? t("kiosk.appointmentNotFound") : detailText(e.detail));
  }
  setCheckingIn(false);
  if (ticket) {
    state.code = "";
    kiosk.showTicket(ticket, false, t(ticket.replayed ? "kiosk.alreadyCheckedIn" : "kiosk.appointmentFlag"));
  }
}

function wire() {
  $("#appt-keys").replaceChildren(
    ...CODE_KEYS.split("").map((k) => el("button", { type: "button", dataset: { apptKey: k }, text: k })),
  );
  document.querySelectorAll("[data-appointment]").forEach((b) => b.addEventListener("click", open));
  $("#back-appointment").addEventListener("click", kiosk.startOver);
  $("#view-appointment").addEventListener("click", (ev) => {
    const key = ev.target.closest("button[data-appt-key]");
    if (key) typeCode(key.dataset.apptKey);
  });
  $("#appt-go").addEventListener("click", checkIn);
  // a keyboard or a code scanner that types: letters, digits, Enter
  document.addEventListener("keydown", (ev) => {
    if (state.view !== "appointment" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "Enter") checkIn();
    else if (ev.key === "Backspace") typeCode("back");
    else if (ev.key.length === 1) typeCode(ev.key.toUpperCase());
    else return;
    ev.preventDefault();
  });
}

/** The appointment check-in of the kiosk `of` (its state, views, ticket screen and call):
 * `{wire, relabel}`. */
export function kioskAppointment(of) {
  kiosk = of;
  state = of.state;
  return { wire, relabel: () => setCheckingIn(state.inFlight) };
}
