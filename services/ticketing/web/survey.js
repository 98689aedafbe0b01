/* The survey (SKM) a citizen answers after being served: nine elements, 1–4 each, and
 * free text. The SMS link's `sig`, or the holder's key from the fragment (`#key=…`, from
 * the tracking page), is passed on to the API, which decides. */
"use strict";

(() => {
  const { api, el, $ } = MPP;
  const ticketId = location.pathname.split("/").filter(Boolean)[1] || "";
  const sig = new URLSearchParams(location.search).get("sig");
  const q = sig ? "?sig=" + encodeURIComponent(sig) : "";
  const key = new URLSearchParams(location.hash.slice(1)).get("key");
  const headers = !sig && key ? { "Ticket-Key": key } : {};
  let form = null;

  function banner(text, kind) {
    const box = $("#banner");
    box.textContent = text;
    box.className = "notice " + (kind || "error");
    box.hidden = !text;
  }

  function why(e) {
    if (e.status === 404) return "Tiket tidak ditemukan.";
    if (e.status === 401 || e.status === 403) return "Tautan survei ini tidak berlaku atau sudah kedaluwarsa.";
    if (e.status === 409) return "Survei untuk tiket ini belum dibuka atau sudah diisi. Terima kasih.";
    return MPP.detailText(e.detail);
  }

  function render() {
    $("#site-name").textContent = form.site_name;
    $("#svc").textContent = form.service_name;
    $("#num").textContent = form.number;
    $("#complain-link").href = `/pengaduan/${encodeURIComponent(form.site_id)}?ticket=${encodeURIComponent(ticketId)}`;
    $("#elements").replaceChildren(...form.elements.map((e) => {
      const title = el("div", { class: "q", id: "q" + e.element, text: `${e.element}. ${e.name}` });
      const scale = el("div", { class: "scale", role: "radiogroup", "aria-labelledby": "q" + e.element },
        ...form.answers.map((a) => {
          const input = el("input", { type: "radio", name: "u" + e.element, value: String(a.value), required: true });
          const label = el("label", {}, input, el("span", { class: "v", text: String(a.value) }), el("span", { text: a.label }));
          input.addEventListener("change", () => {
            label.parentElement.querySelectorAll("label").forEach((l) => l.classList.toggle("on", l === label));
            label.closest("li").classList.remove("missing");
            if (!document.querySelector(".elements li.missing")) $("#form-error").hidden = true;
          });
          return label;
        }));
      return el("li", { dataset: { element: e.element } }, title, scale);
    }));
    $("#survey").hidden = false;
  }

  async function submit(ev) {
    ev.preventDefault();
    const answers = [];
    let firstMissing = null;
    form.elements.forEach((e) => {
      const picked = document.querySelector(`input[name="u${e.element}"]:checked`);
      const li = document.querySelector(`li[data-element="${e.element}"]`);
      li.classList.toggle("missing", !picked);
      if (!picked && !firstMissing) firstMissing = li;
      answers.push(picked ? Number(picked.value) : null);
    });
    const err = $("#form-error");
    if (firstMissing) {
      err.textContent = "Mohon jawab semua pertanyaan (yang berwarna merah).";
      err.hidden = false;
      firstMissing.scrollIntoView({ block: "center" });
      return;
    }
    err.hidden = true;
    $("#send").disabled = true;
    try {
      await api("POST", `/api/tickets/${encodeURIComponent(ticketId)}/survey${q}`, {
        json: { answers, comment: $("#comment").value },
        headers,
      });
      $("#survey").hidden = true;
      $("#thanks").hidden = false;
    } catch (e) {
      err.textContent = why(e);
      err.hidden = false;
    } finally {
      $("#send").disabled = false;
    }
  }

  async function start() {
    try {
      form = await api("GET", `/api/tickets/${encodeURIComponent(ticketId)}/survey${q}`, { headers });
      if (form.answered) {
        $("#site-name").textContent = form.site_name;
        $("#thanks").hidden = false;
        $("#complain-link").href = `/pengaduan/${encodeURIComponent(form.site_id)}?ticket=${encodeURIComponent(ticketId)}`;
      } else {
        render();
      }
    } catch (e) {
      banner(why(e));
    } finally {
      $("#loading").hidden = true;
    }
  }

  $("#survey").addEventListener("submit", submit);
  start();
})();
