/* Pairing a kiosk with its MPP (CONTRACT.md "Who may do what"). Where the site requires
 * enrolled kiosks and this browser keeps no kiosk token, the kiosk shows a pairing screen:
 * a supervisor signs in, names the kiosk, and the page enrols it. Only the kiosk's token is
 * kept (localStorage: it survives a restart of the kiosk PC); the supervisor's token is
 * used for that one call and dropped. A 401 later (the kiosk was revoked) forgets the
 * token, and the kiosk pairs again. */

import { api, detailText } from "./common/api.js";
import { $, notice } from "./common/dom.js";
import { t } from "./common/i18n.js";
import { apiPath } from "./common/page.js";
import { localGet, localSet } from "./common/storage.js";

function storageKey(siteId) {
  return "antrian.kiosk." + siteId;
}

/** The kiosk token this browser keeps for the site, or null (storage disabled: the kiosk
 * pairs on every start). */
export function token(siteId) {
  return localGet(storageKey(siteId));
}

export function forget(siteId) {
  localSet(storageKey(siteId), null);
}

function keep(siteId, value) {
  localSet(storageKey(siteId), value);
}

const error = (text) => notice("#pair-error", text);

function setBusy(busy) {
  const b = $("#pair-go");
  b.disabled = busy;
  b.textContent = t(busy ? "pair.working" : "pair.go");
}

/** Sign the supervisor in, enrol the kiosk with their token, drop that token. */
async function enrol(siteId) {
  const username = $("#pair-username").value.trim();
  const password = $("#pair-password").value;
  const name = $("#pair-name").value.trim();
  let staff;
  try {
    staff = await api("POST", "/api/auth/token", { form: { username, password } });
  } catch (e) {
    error(e.status === 401 ? t("pair.badLogin") : e.status === 429 ? t("pair.tooMany") : detailText(e.detail));
    return null;
  } finally {
    $("#pair-password").value = "";
  }
  try {
    const kiosk = await api("POST", apiPath("sites", siteId, "kiosks"), {
      json: { name },
      token: staff.access_token,
    });
    return kiosk.token;
  } catch (e) {
    error(e.status === 403 || e.status === 401 ? t("pair.notSupervisor") : detailText(e.detail));
    return null;
  } finally {
    staff = null; // the supervisor's token is never kept
  }
}

/** Show the pairing form (`revoked`: say why it is back); resolves with the kiosk token. */
export function pair(siteId, revoked) {
  $("#pair-revoked").hidden = !revoked;
  error("");
  setBusy(false);
  return new Promise((resolve) => {
    $("#pair-form").onsubmit = async (ev) => {
      ev.preventDefault();
      setBusy(true);
      error("");
      const kioskToken = await enrol(siteId);
      setBusy(false);
      if (!kioskToken) return;
      keep(siteId, kioskToken);
      $("#pair-username").value = "";
      $("#pair-form").onsubmit = null;
      resolve(kioskToken);
    };
  });
}
