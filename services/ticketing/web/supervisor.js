/* The supervisor console `/supervisor/{site}`: log in (common/staff-login.js, a supervisor
 * or admin of this site only — the API refuses everyone else anyway), then every few seconds
 * each counter's state and each service's line (supervisor-board.js), the site's kiosks
 * (supervisor-kiosks.js) and the audit log with its filters (supervisor-audit.js). Every
 * action goes through the supervisor API and writes the audit log on the server. */

import { api, errorText } from "./common/api.js";
import { $, notice, showView } from "./common/dom.js";
import { addStrings, langToggle, startLang, t } from "./common/i18n.js";
import { apiPath, pathPart } from "./common/page.js";
import { staffLogin } from "./common/staff-login.js";
import { zonedTime } from "./common/time.js";
import { auditLog } from "./supervisor-audit.js";
import { board } from "./supervisor-board.js";
import { closeDialog, wireDialog } from "./supervisor-dialog.js";
import { kioskList } from "./supervisor-kiosks.js";
import strings from "./strings/supervisor.js";

addStrings(strings);
const siteId = pathPart(1);
const REFRESH_MS = 5000;
const state = { site: null, timer: null };

/** A note above the tables; kind is "ok" after an action, "error" for a refusal. */
const message = (text, kind) => notice("#message", text, kind === undefined ? "" : kind);

/** Only a supervisor of this site, or an admin of it or of the deployment. */
function accept(tok) {
  const ofSite = tok.site_id === siteId;
  const admin = tok.role === "admin" && (ofSite || tok.deployment_admin);
  return admin || (tok.role === "supervisor" && ofSite) ? null : t("s.notSupervisor");
}

const login = staffLogin({ key: "antrian.supervisor.session", accept, enter, leave });
const ctx = { siteId, site: () => state.site, call: login.call, message, changed };
const lines = board(ctx);
const kiosks = kioskList(ctx);
const audit = auditLog(ctx);

function leave() {
  clearInterval(state.timer);
  state.timer = null;
  closeDialog();
  $("#who").textContent = "";
}

/** After an action: the board, kiosks and log as they are now. */
async function changed() {
  await Promise.all([tick(), kiosks.load(), audit.load()]);
}

async function tick() {
  if (!login.session) return;
  try {
    await lines.load();
    $("#updated").textContent = t("s.updated", { time: zonedTime(new Date(), state.site.timezone, true) });
  } catch (e) {
    if (e.status !== 401) message(errorText(e), "error");
  }
}

async function enter() {
  $("#who").textContent = login.session.username;
  showView("console");
  try {
    state.site = await api("GET", apiPath("sites", siteId));
  } catch (e) {
    message(e.status === 404 ? t("common.siteNotFound") : errorText(e), "error");
    return;
  }
  $("#site-name").textContent = state.site.name;
  document.title = t("s.docTitle", { site: state.site.name });
  audit.prepare();
  await changed();
  clearInterval(state.timer);
  state.timer = setInterval(tick, REFRESH_MS);
}

function rerender() {
  if (!state.site) return;
  document.title = t("s.docTitle", { site: state.site.name });
  lines.render();
  kiosks.render();
  audit.render();
}

startLang({ remember: true });
langToggle($("#lang"), rerender);
wireDialog();
kiosks.wire();
audit.wire();
login.start();
