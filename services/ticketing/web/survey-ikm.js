/* The public IKM page of a site: the index, its nine elements, each agency and service.
 * Aggregates only: no comment and nothing about a person is ever shown. */
"use strict";

(() => {
  const { api, el, $ } = MPP;
  const siteId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");

  const dec = (v, d) => (v == null ? "–" : v.toFixed(d).replace(".", ","));

  function rows(target, header, data) {
    $(target).replaceChildren(
      el("thead", {}, el("tr", {}, ...header.map((h) => el("th", { text: h })))),
      el("tbody", {}, ...(data.length ? data : [["Belum ada responden", "", "", ""]]).map((r) =>
        el("tr", {}, ...r.map((v) => el("td", { text: String(v) }))))),
    );
  }

  async function load(ev) {
    if (ev) ev.preventDefault();
    const q = new URLSearchParams();
    if ($("#from").value) q.set("from", $("#from").value);
    if ($("#to").value) q.set("to", $("#to").value);
    try {
      const r = await api("GET", `/api/sites/${encodeURIComponent(siteId)}/ikm?${q}`);
      $("#banner").hidden = true;
      $("#site-name").textContent = "IKM " + r.site.name;
      document.title = "IKM " + r.site.name;
      $("#from").value = r.from;
      $("#to").value = r.to;
      $("#range").textContent = `${r.from} s.d. ${r.to}`;
      $("#value").textContent = dec(r.ikm, 2);
      $("#category").hidden = !r.category;
      $("#category").textContent = r.category ? `Mutu ${r.category} · ${r.quality}` : "";
      $("#respondents").textContent = `${r.respondents} responden`;
      rows("#elements", ["Unsur", "Nilai rata-rata (1–4)"], r.elements.map((e) => [`U${e.element} ${e.name}`, dec(e.mean, 2)]));
      const line = (x, name) => [name, dec(x.ikm, 2), x.category ? `${x.category} (${x.quality})` : "–", x.respondents];
      rows("#agencies", ["Instansi", "IKM", "Mutu", "Responden"], r.by_agency.map((a) => line(a, a.agency_name || a.agency_id)));
      rows("#services", ["Layanan", "IKM", "Mutu", "Responden"], r.by_service.map((s) => line(s, s.service_name)));
    } catch (e) {
      const box = $("#banner");
      box.textContent = e.status === 404 ? "Lokasi MPP tidak ditemukan." : MPP.detailText(e.detail);
      box.hidden = false;
    }
  }

  $("#period").addEventListener("submit", load);
  load();
})();
