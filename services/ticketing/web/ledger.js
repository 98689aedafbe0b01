// The public fairness ledger: GET /api/sites/{site}/ledger[/{number}]?date= — no login.
"use strict";
(function () {
  const site = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
  const $ = (id) => document.getElementById(id);
  let zone = "Asia/Jakarta";

  function hhmm(iso) {
    if (!iso) return "—";
    return new Intl.DateTimeFormat("id-ID", {
      hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: zone,
    }).format(new Date(iso));
  }

  function text(tag, value, cls) {
    const el = document.createElement(tag);
    el.textContent = value;
    if (cls) el.className = cls;
    return el;
  }

  const ENTRY = {
    issued: "ambil nomor", transfer: "pindahan dari layanan lain",
    journey: "langkah berikutnya kunjungan", returned: "kembali setelah tidak hadir",
    appointment: "janji temu daring",
  };

  function renderVisit(t) {
    const card = document.createElement("article");
    card.className = "card visit";
    card.append(text("h3", `${t.number} · ${t.service_name}`));
    card.append(text("p",
      `Masuk antrean ${hhmm(t.entered_at)} (${ENTRY[t.entry] || t.entry}), ` +
      `diambil pukul ${hhmm(t.issued_at)}, ` +
      (t.called_at ? `dipanggil ${hhmm(t.called_at)} ke ${t.counter_name || "loket"}.` : "belum dipanggil.")));
    if (!t.overtaken_by.length) {
      card.append(text("p", "Tidak ada nomor yang datang belakangan dipanggil lebih dulu.", "ok"));
      return card;
    }
    card.append(text("p", `${t.overtaken_by.length} nomor yang datang belakangan dipanggil lebih dulu:`, "warn"));
    const list = document.createElement("ul");
    for (const o of t.overtaken_by) {
      const li = text("li", `${o.number} (masuk ${hhmm(o.entered_at)}, dipanggil ${hhmm(o.called_at)}): `);
      li.append(text("span", o.explanation, `reason-${o.reason}`));
      list.append(li);
    }
    card.append(list);
    return card;
  }

  async function load(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(typeof body.detail === "string" ? body.detail : `HTTP ${response.status}`);
    }
    return response.json();
  }

  async function summary(date) {
    const q = date ? `?date=${encodeURIComponent(date)}` : "";
    const day = await load(`/api/sites/${encodeURIComponent(site)}/ledger${q}`);
    zone = day.timezone;
    $("site-name").textContent = day.site_name;
    if (!$("date").value) $("date").value = day.date;
    const jumped = day.tickets.filter((t) => t.overtaken_by.length);
    const unexplained = jumped.filter((t) => t.overtaken_by.some((o) => o.reason === "unexplained"));
    $("summary").textContent =
      `${day.tickets.length} kunjungan antrean pada ${day.date}; ${jumped.length} didahului nomor yang datang ` +
      `belakangan, ${unexplained.length} di antaranya tanpa alasan tercatat.`;
    const body = $("jumps").querySelector("tbody");
    body.replaceChildren();
    for (const t of jumped) {
      const row = document.createElement("tr");
      row.append(text("td", t.number), text("td", t.service_name), text("td", hhmm(t.called_at)));
      row.append(text("td", t.overtaken_by.map((o) => `${o.number}: ${o.explanation}`).join("; ")));
      body.append(row);
    }
  }

  $("search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = $("number").value.trim().toUpperCase();
    const date = $("date").value;
    $("notice").hidden = true;
    $("result").replaceChildren();
    try {
      const q = date ? `?date=${encodeURIComponent(date)}` : "";
      const found = await load(`/api/sites/${encodeURIComponent(site)}/ledger/${encodeURIComponent(number)}${q}`);
      zone = found.timezone;
      for (const t of found.tickets) $("result").append(renderVisit(t));
    } catch (error) {
      $("notice").textContent = error.message;
      $("notice").hidden = false;
    }
  });
  $("date").addEventListener("change", () => summary($("date").value).catch(() => {}));
  summary("").catch((error) => { $("summary").textContent = error.message; });
})();
