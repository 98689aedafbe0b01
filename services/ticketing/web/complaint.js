/* The citizen's complaint/suggestion form; `?ticket=` links it to the citizen's ticket. */
"use strict";

(() => {
  const { api, el, $ } = MPP;
  const siteId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
  const ticketId = new URLSearchParams(location.search).get("ticket");

  async function start() {
    try {
      const site = await api("GET", "/api/sites/" + encodeURIComponent(siteId));
      $("#site-name").textContent = "Pengaduan — " + site.name;
      (site.agencies || []).forEach((a) => $("#agency").append(el("option", { value: a.id, text: a.name })));
    } catch (e) {
      const box = $("#banner");
      box.textContent = e.status === 404 ? "Lokasi MPP tidak ditemukan." : MPP.detailText(e.detail);
      box.hidden = false;
      $("#form").hidden = true;
      return;
    }
    if (ticketId) {
      try {
        const ticket = await api("GET", "/api/tickets/" + encodeURIComponent(ticketId));
        $("#ticket-note").textContent = "Terkait tiket " + ticket.number + ".";
        $("#ticket-note").hidden = false;
        $("#agency").disabled = true;
      } catch (_) {
        /* an unknown ticket: file it without */
      }
    }
  }

  async function submit(ev) {
    ev.preventDefault();
    const err = $("#form-error");
    const body = {
      kind: document.querySelector("input[name=kind]:checked").value,
      text: $("#text").value,
    };
    if ($("#phone").value.trim()) body.contact_phone = $("#phone").value.trim();
    if (ticketId && !$("#ticket-note").hidden) body.ticket_id = ticketId;
    else if ($("#agency").value) body.agency_id = $("#agency").value;
    $("#send").disabled = true;
    try {
      const filed = await api("POST", `/api/sites/${encodeURIComponent(siteId)}/complaints`, { json: body });
      $("#number").textContent = filed.number;
      $("#form").hidden = true;
      $("#done").hidden = false;
    } catch (e) {
      err.textContent = e.status === 429
        ? "Terlalu banyak pengaduan dari perangkat ini. Silakan coba lagi nanti."
        : MPP.detailText(e.detail);
      err.hidden = false;
    } finally {
      $("#send").disabled = false;
    }
  }

  $("#form").addEventListener("submit", submit);
  start();
})();
