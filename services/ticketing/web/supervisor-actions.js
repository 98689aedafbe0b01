/* The supervisor console's actions on the board, each through the supervisor API: close a
 * service for today with a reason, open it again, change today's quota, change the
 * services a counter calls. `ctx.changed()` reloads the board and the log after each. */

import { errorText } from "./common/api.js";
import { el } from "./common/dom.js";
import { t } from "./common/i18n.js";
import { apiPath } from "./common/page.js";
import { field, openDialog } from "./supervisor-dialog.js";

async function done(ctx, text) {
  ctx.message(text, "ok");
  await ctx.changed();
  return null;
}

export function closeService(ctx, s) {
  const input = el("input", { id: "close-reason", maxlength: "200", required: true });
  openDialog({
    title: t("s.closeTitle", { service: s.name }),
    ok: t("s.confirmClose"),
    fields: [field("s.reason", input)],
    focus: "#close-reason",
    submit: async () => {
      const reason = input.value.trim();
      if (reason.length < 3) return t("s.reasonShort");
      await ctx.call("POST", apiPath("sites", ctx.siteId, "services", s.id, "close"), { json: { reason } });
      return done(ctx, t("s.closedOk", { service: s.name }));
    },
  });
}

export async function openService(ctx, s) {
  try {
    await ctx.call("POST", apiPath("sites", ctx.siteId, "services", s.id, "open"));
    await done(ctx, t("s.openedOk", { service: s.name }));
  } catch (e) {
    ctx.message(errorText(e), "error");
  }
}

export function changeQuota(ctx, s) {
  const input = el("input", { id: "quota-value", type: "number", min: "0", step: "1", inputmode: "numeric" });
  openDialog({
    title: t("s.quotaTitle", { service: s.name }),
    ok: t("s.save"),
    fields: [field("s.quota", input)],
    focus: "#quota-value",
    submit: async () => {
      const quota = input.value.trim() === "" ? null : Number(input.value);
      await ctx.call("PUT", apiPath("sites", ctx.siteId, "services", s.id, "quota-today"), { json: { quota } });
      return done(ctx, t("s.quotaOk", { service: s.name }));
    },
  });
}

export function reassign(ctx, c, services) {
  const boxes = services.map((s) =>
    el("label", { class: "check" }, el("input", { type: "checkbox", value: s.id, checked: c.service_ids.includes(s.id) }), s.name),
  );
  openDialog({
    title: t("s.reassignTitle", { counter: c.name }),
    ok: t("s.save"),
    fields: [el("fieldset", {}, el("legend", { class: "muted", text: t("s.colServes") }), ...boxes)],
    focus: "input[type=checkbox]",
    submit: async () => {
      const ids = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
      if (!ids.length) return t("s.pickOne");
      await ctx.call("PUT", apiPath("sites", ctx.siteId, "counters", c.id, "services"), { json: { service_ids: ids } });
      return done(ctx, t("s.reassignOk", { counter: c.name }));
    },
  });
}
