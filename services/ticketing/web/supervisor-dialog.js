/* The supervisor console's one dialog form (`#dialog`): a title, fields, an OK button and
 * "Batal"; `submit()` answers null when done or the text of why not (shown in the form). */

import { errorText } from "./common/api.js";
import { $, notice } from "./common/dom.js";
import { t } from "./common/i18n.js";

let current = null;

export function closeDialog() {
  current = null;
  $("#dialog").hidden = true;
  $("#dialog-body").replaceChildren();
  notice("#dialog-error", "");
}

/** Open the dialog: `title`, `ok` (button text), `fields` (nodes), `submit()` (async:
 * null when done, or a reason to show), `focus` (a selector inside the form). */
export function openDialog({ title, ok, fields, submit, focus }) {
  current = submit;
  $("#dialog-title").textContent = title;
  $("#dialog-ok").textContent = ok;
  $("#dialog-body").replaceChildren(...fields);
  notice("#dialog-error", "");
  $("#dialog").hidden = false;
  $("#dialog").scrollIntoView({ block: "nearest" });
  const first = focus ? $(focus, $("#dialog")) : null;
  if (first) first.focus();
}

async function submitted(ev) {
  ev.preventDefault();
  if (!current) return;
  const button = $("#dialog-ok");
  button.disabled = true;
  try {
    const refused = await current();
    if (refused) notice("#dialog-error", refused);
    else closeDialog();
  } catch (e) {
    notice("#dialog-error", errorText(e));
  } finally {
    button.disabled = false;
  }
}

export function wireDialog() {
  $("#dialog").addEventListener("submit", submitted);
  $("#dialog-cancel").addEventListener("click", closeDialog);
  $("#dialog").addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") closeDialog();
  });
}

/** A labelled input for the dialog. */
export function field(label, input) {
  const wrap = document.createElement("label");
  const span = document.createElement("span");
  span.textContent = t(label);
  wrap.append(span, input);
  return wrap;
}
