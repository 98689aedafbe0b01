/* The supervisor console's kiosks: the site's enrolled kiosks (live and revoked), enrol a
 * new one (its token is shown this once) and revoke one. */

import { errorText } from "./common/api.js";
import { $, el, notice } from "./common/dom.js";
import { t } from "./common/i18n.js";
import { apiPath } from "./common/page.js";
import { formatDate, zonedTime } from "./common/time.js";

export function kioskList(ctx) {
  const data = { kiosks: [], token: null };
  const zone = () => ctx.site().timezone;
  const when = (iso) => `${formatDate(iso, zone())} ${zonedTime(iso, zone())}`;

  async function load() {
    data.kiosks = await ctx.call("GET", apiPath("sites", ctx.siteId, "kiosks"));
    render();
  }

  function row(k) {
    const revoked = Boolean(k.revoked_at);
    const status = revoked
      ? t("s.revoked", { time: when(k.revoked_at), by: k.revoked_by || "" })
      : t("s.live", { time: when(k.enrolled_at), by: k.enrolled_by });
    return el(
      "li",
      { class: revoked ? "revoked" : "live", dataset: { kiosk: k.id } },
      el("span", { class: "k-name", text: k.name }),
      el("span", { class: "muted", text: status }),
      revoked
        ? null
        : el("button", { type: "button", class: "btn danger small", text: t("s.revoke"), "aria-label": `${t("s.revoke")} ${k.name}`, onclick: () => revoke(k) }),
    );
  }

  function render() {
    if (!ctx.site()) return;
    const rows = data.kiosks.map(row);
    $("#kiosk-list").replaceChildren(...(rows.length ? rows : [el("li", { class: "muted", text: t("s.noKiosks") })]));
    $("#kiosk-token").hidden = !data.token;
    if (data.token) {
      $("#kiosk-token-text").textContent = t("s.enrolled", { name: data.token.name });
      $("#kiosk-token-value").textContent = data.token.token;
    }
  }

  async function revoke(k) {
    try {
      await ctx.call("DELETE", apiPath("sites", ctx.siteId, "kiosks", k.id));
      if (data.token && data.token.id === k.id) data.token = null;
      ctx.message(t("s.revokedOk", { name: k.name }), "ok");
      await ctx.changed();
    } catch (e) {
      ctx.message(errorText(e), "error");
    }
  }

  async function enrol(ev) {
    ev.preventDefault();
    const button = $("#enrol");
    button.disabled = true;
    try {
      const made = await ctx.call("POST", apiPath("sites", ctx.siteId, "kiosks"), { json: { name: $("#kiosk-name").value } });
      data.token = { id: made.id, name: made.name, token: made.token };
      $("#kiosk-name").value = "";
      notice("#message", "");
      await ctx.changed();
    } catch (e) {
      ctx.message(errorText(e), "error");
    } finally {
      button.disabled = false;
    }
  }

  function wire() {
    $("#enrol-form").addEventListener("submit", enrol);
  }

  return { load, render, wire };
}
