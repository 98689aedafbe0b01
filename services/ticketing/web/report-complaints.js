/* The report page's complaints block: the latest complaints and suggestions of the site,
 * each answered (in process / resolved) by the supervisor from here. */

import { detailText } from "./common/api.js";
import { $, el } from "./common/dom.js";
import { t } from "./common/i18n.js";
import { apiPath } from "./common/page.js";
import { formatDate, formatTime } from "./common/time.js";

/** The block for `page`: `{ load }`; page gives `site()`, `call` and `message`. */
export function reportComplaints(page) {
  async function load() {
    const site = page.site();
    const list = await page.call("GET", apiPath("sites", site.id, "complaints") + "?limit=50");
    const ul = $("#complaint-list");
    ul.replaceChildren(...list.map((c) => item(c, site.timezone)));
    if (!list.length) ul.append(el("li", { class: "muted", text: t("r.noComplaints") }));
  }

  function answerForm(c) {
    const text = el("textarea", { rows: 1, placeholder: t("r.answer"), "aria-label": t("r.answerFor", { n: c.number }) });
    const form = el(
      "form",
      {},
      text,
      el("button", { type: "submit", class: "btn secondary small", dataset: { status: "in_process" }, text: t("r.process") }),
      el("button", { type: "submit", class: "btn ok small", dataset: { status: "resolved" }, text: t("r.resolve") }),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const status = ev.submitter ? ev.submitter.dataset.status : "in_process";
      if (!text.value.trim()) return text.focus();
      try {
        await page.call("POST", apiPath("complaints", c.id, "answer"), { json: { text: text.value, status } });
        await load();
      } catch (e) {
        if (e.status !== 401) page.message(detailText(e.detail));
      }
    });
    return form;
  }

  function item(c, zone) {
    const when = formatDate(c.received_at, zone) + " " + formatTime(c.received_at, zone);
    const li = el(
      "li",
      { dataset: { id: c.id } },
      el(
        "div",
        { class: "c-head" },
        el("span", { class: "c-num", text: c.number }),
        el("span", { class: "c-status " + c.status, text: t("r.status." + c.status) }),
        el("span", { text: t("r.kind." + c.kind) }),
        el("span", { text: when }),
        c.agency_name ? el("span", { text: c.agency_name }) : null,
        c.ticket_number ? el("span", { text: t("r.ticketN", { n: c.ticket_number }) }) : null,
        c.contact_phone ? el("span", { text: c.contact_phone }) : null,
      ),
      el("div", { class: "c-text", text: c.text }),
    );
    if (c.status !== "resolved") li.append(answerForm(c));
    return li;
  }

  return { load };
}
