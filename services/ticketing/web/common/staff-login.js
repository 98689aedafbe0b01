/* The staff pages' login (operator console, reports): the form `#login-form` (`#username`,
 * `#password`, `#login-btn`, `#login-error`), the token kept in sessionStorage under the
 * page's own key (closing the tab logs out), `#logout`, and calls made with the token — a
 * 401 on any of them brings the login form back saying the session ended. */

import { api, detailText } from "./api.js";
import { $, notice, showView } from "./dom.js";
import { t } from "./i18n.js";
import { sessionLoad, sessionSave } from "./storage.js";

/** Options: `key` (sessionStorage key), `accept(token answer)` (null, or why this account
 * may not use the page), `enter()` (after a login or a kept session), `leave(forget)`
 * (before the form shows again; `forget` after "Keluar"). */
export function staffLogin({ key, accept, enter, leave }) {
  const login = { session: null };

  login.show = (reason, forget) => {
    login.session = null;
    sessionSave(key, null);
    if (leave) leave(Boolean(forget));
    notice("#login-error", reason || "");
    showView("login");
    $("#logout").hidden = true;
    $("#username").focus();
  };

  async function submit(ev) {
    ev.preventDefault();
    const button = $("#login-btn");
    button.disabled = true;
    try {
      const tok = await api("POST", "/api/auth/token", {
        form: { username: $("#username").value.trim(), password: $("#password").value },
      });
      const refused = accept ? accept(tok) : null;
      if (refused) {
        login.show(refused);
        return;
      }
      login.session = {
        token: tok.access_token,
        username: tok.username,
        role: tok.role,
        site_id: tok.site_id,
        counter_ids: tok.counter_ids || [],
        expires_at: Date.now() + (tok.expires_in || 0) * 1000,
      };
      sessionSave(key, login.session);
      $("#password").value = "";
      notice("#login-error", "");
      $("#logout").hidden = false;
      await enter();
    } catch (e) {
      notice("#login-error", e.status === 401 ? t("login.bad") : e.status === 429 ? t("login.tooMany") : detailText(e.detail));
    } finally {
      button.disabled = false;
    }
  }

  /** A call with the staff token; a 401 shows the login form again, and still throws. */
  login.call = async (method, path, opts) => {
    try {
      return await api(method, path, Object.assign({ token: login.session.token }, opts || {}));
    } catch (e) {
      if (e.status === 401) login.show(t("login.expired"));
      throw e;
    }
  };

  /** Wire the form and "Keluar"; enter with the kept session, or show the form. */
  login.start = () => {
    $("#login-form").addEventListener("submit", submit);
    $("#logout").addEventListener("click", () => login.show("", true));
    const kept = sessionLoad(key);
    if (kept && kept.token && kept.expires_at > Date.now()) {
      login.session = kept;
      $("#logout").hidden = false;
      enter();
    } else {
      login.show("");
    }
  };

  return login;
}
