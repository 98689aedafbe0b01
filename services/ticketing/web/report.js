/* The supervisor's report page: log in (the token lives in sessionStorage, as in the
 * operator console), choose a period and filters, read the figures, see the charts the
 * server draws as SVG (fetched with the token and placed inline), download CSV/XLSX and
 * answer complaints. */
"use strict";

(() => {
  const { api, el, $, sessionLoad, sessionSave } = MPP;
  const KEY_SESSION = "antrian.report.session";
  const siteId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
  const state = { session: null, site: null };

  const load = () => sessionLoad(KEY_SESSION);
  const save = (value) => sessionSave(KEY_SESSION, value);

  function show(view) {
    document.querySelectorAll(".view").forEach((v) => {
      v.hidden = v.id !== "view-" + view;
    });
    $("#logout").hidden = view === "login";
  }

  function message(text) {
    const box = $("#message");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function showLogin(reason) {
    state.session = null;
    save(null);
    $("#who").textContent = "";
    const err = $("#login-error");
    err.textContent = reason || "";
    err.hidden = !reason;
    show("login");
    $("#username").focus();
  }

  async function login(ev) {
    ev.preventDefault();
    const button = $("#login-btn");
    button.disabled = true;
    try {
      const tok = await api("POST", "/api/auth/token", {
        form: { username: $("#username").value.trim(), password: $("#password").value },
      });
      const ofSite = tok.site_id === siteId;
      const admin = tok.role === "admin" && (ofSite || tok.deployment_admin);
      if (!admin && !(tok.role === "supervisor" && ofSite)) {
        showLogin("Akun ini bukan supervisor lokasi ini.");
        return;
      }
      state.session = {
        token: tok.access_token,
        username: tok.username,
        role: tok.role,
        expires_at: Date.now() + (tok.expires_in || 0) * 1000,
      };
      save(state.session);
      $("#password").value = "";
      await enter();
    } catch (e) {
      const err = $("#login-error");
      err.textContent = e.status === 401 ? "Nama pengguna atau kata sandi salah." : MPP.detailText(e.detail);
      err.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  /** An authenticated call; a 401 sends the supervisor back to the login form. */
  async function call(method, path, opts) {
    try {
      return await api(method, path, Object.assign({ token: state.session.token }, opts || {}));
    } catch (e) {
      if (e.status === 401) showLogin("Sesi berakhir. Silakan masuk kembali.");
      throw e;
    }
  }

  async function enter() {
    $("#who").textContent = state.session.username;
    show("report");
    try {
      state.site = await api("GET", "/api/sites/" + encodeURIComponent(siteId));
    } catch (e) {
      message(e.status === 404 ? "Lokasi MPP tidak ditemukan." : MPP.detailText(e.detail));
      return;
    }
    $("#site-name").textContent = state.site.name;
    document.title = "Laporan " + state.site.name;
    fillFilters();
    if (!$("#f-to").value) {
      const today = MPP.siteDay(new Date(), state.site.timezone);
      $("#f-to").value = today;
      $("#f-from").value = MPP.addDays(today, -29);
    }
    await refresh();
  }

  function fillFilters() {
    const agency = $("#f-agency");
    const service = $("#f-service");
    const counter = $("#f-counter");
    if (agency.options.length > 1) return;
    (state.site.agencies || []).forEach((a) => agency.append(el("option", { value: a.id, text: a.name })));
    (state.site.services || []).forEach((s) => service.append(el("option", { value: s.id, text: s.name })));
    (state.site.counters || []).forEach((c) => counter.append(el("option", { value: c.id, text: c.name })));
  }

  function query() {
    const q = new URLSearchParams({ from: $("#f-from").value, to: $("#f-to").value });
    for (const [key, sel] of [["agency_id", "#f-agency"], ["service_id", "#f-service"], ["counter_id", "#f-counter"]]) {
      if ($(sel).value) q.set(key, $(sel).value);
    }
    return q.toString();
  }

  // --- formatting -------------------------------------------------------------------------

  const nf = new Intl.NumberFormat("id-ID");

  function num(n) {
    return n == null ? "–" : nf.format(n);
  }

  function minutes(seconds) {
    if (seconds == null) return "–";
    const m = seconds / 60;
    return (m < 10 ? m.toFixed(1) : Math.round(m).toString()).replace(".", ",") + " mnt";
  }

  function pct(share) {
    return share == null ? "–" : (share * 100).toFixed(1).replace(".", ",") + "%";
  }

  function duration(seconds) {
    if (seconds == null) return "–";
    const h = seconds / 3600;
    return h < 48 ? h.toFixed(1).replace(".", ",") + " jam" : (h / 24).toFixed(1).replace(".", ",") + " hari";
  }

  function table(target, header, rows) {
    const node = $(target);
    node.replaceChildren(
      el("thead", {}, el("tr", {}, ...header.map((h) => el("th", { text: h })))),
      el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((v) => el("td", { text: String(v) }))))),
    );
    if (!rows.length) {
      node.append(el("tbody", {}, el("tr", {}, el("td", { colspan: header.length, class: "muted", text: "Tidak ada data." }))));
    }
  }

  function kpi(label, value, sub, tone) {
    return el("div", { class: "kpi" + (tone ? " " + tone : "") },
      el("div", { class: "k-label", text: label }),
      el("div", { class: "k-value", text: value }),
      sub ? el("div", { class: "k-sub", text: sub }) : null);
  }

  // --- rendering --------------------------------------------------------------------------

  function render(r) {
    $("#period").textContent = `${r.site.name} · ${r.from} s.d. ${r.to} (${r.days} hari)`;
    const t = r.totals;
    const slaTone = r.sla.share == null ? null : r.sla.share >= 0.8 ? "ok" : r.sla.share >= 0.6 ? "warn" : "bad";
    $("#kpis").replaceChildren(
      kpi("Tiket diambil", num(t.issued), `${num(t.priority)} prioritas`),
      kpi("Dilayani", num(t.served), null, "ok"),
      kpi("Tidak hadir", num(t.no_show), null, "warn"),
      kpi("Dibatalkan", num(t.cancelled)),
      kpi("Dialihkan", num(t.transferred)),
      kpi("Tunggu rata-rata", minutes(r.wait_s.mean), `median ${minutes(r.wait_s.median)} · P90 ${minutes(r.wait_s.p90)}`),
      kpi("Lama layanan", minutes(r.service_s.mean), `median ${minutes(r.service_s.median)} · P90 ${minutes(r.service_s.p90)}`),
      kpi("Sesuai standar waktu", pct(r.sla.share), `${num(r.sla.within_target)} dari ${num(r.sla.served)} dilayani`, slaTone),
      kpi("IKM", r.ikm.ikm == null ? "–" : r.ikm.ikm.toFixed(2).replace(".", ","), r.ikm.category ? `Mutu ${r.ikm.category} (${r.ikm.quality})` : "belum ada responden"),
      kpi("Pengaduan", num(r.complaints.received), `${num(r.complaints.resolved)} selesai · rata-rata ${duration(r.complaints.resolution_mean_s)}`),
    );
    table("#t-channel", ["Kanal", "Tiket", "Porsi"], Object.entries(r.by_channel).map(([k, v]) => [
      { kiosk: "Kios", online: "Daring", mobile: "Aplikasi/HP" }[k] || k, num(v), pct(t.issued ? v / t.issued : null),
    ]));
    renderIkm(r.ikm);
    renderHours(r.arrivals_by_hour);
    table("#t-counters", ["Loket", "Dilayani", "Rata-rata layanan", "Median"], r.counters.map((c) => [
      c.counter_name, num(c.served), minutes(c.service_mean_s), minutes(c.service_median_s),
    ]));
    table("#t-agencies", ["Instansi", "Tiket", "Dilayani", "Sesuai standar", "Porsi"], r.sla_by_agency.map((a) => [
      a.agency_name, num(a.issued), num(a.served), num(a.within_target), pct(a.sla_share),
    ]));
    table("#t-services", ["Layanan", "Standar", "Tiket", "Dilayani", "Tidak hadir", "Batal", "Tunggu rata2", "Median", "P90", "Sesuai standar"],
      r.by_service.map((s) => [
        s.service_name, s.target_minutes + " mnt", num(s.issued), num(s.served), num(s.no_show), num(s.cancelled),
        minutes(s.wait_mean_s), minutes(s.wait_median_s), minutes(s.wait_p90_s), pct(s.sla_share),
      ]));
    const c = r.complaints;
    $("#complaint-summary").textContent =
      `${num(c.received)} diterima pada periode ini (${num(c.complaints)} pengaduan, ${num(c.suggestions)} saran), ` +
      `${num(c.still_open)} belum selesai; ${num(c.resolved)} diselesaikan, rata-rata dalam ${duration(c.resolution_mean_s)}.`;
  }

  function renderIkm(ikm) {
    const box = $("#ikm");
    if (ikm.ikm == null) {
      box.replaceChildren(el("p", { class: "muted", text: "Belum ada responden survei pada periode ini." }));
      return;
    }
    box.replaceChildren(
      el("div", { class: "ikm-score" },
        el("span", { class: "ikm-value", text: ikm.ikm.toFixed(2).replace(".", ",") }),
        el("span", { class: "ikm-cat", text: `Mutu ${ikm.category} · ${ikm.quality}` }),
        el("span", { class: "muted", text: `${num(ikm.respondents)} responden` })),
      el("table", { class: "data" },
        el("thead", {}, el("tr", {}, el("th", { text: "Unsur" }), el("th", { text: "Nilai rata-rata" }))),
        el("tbody", {}, ...ikm.elements.map((e) =>
          el("tr", {}, el("td", { text: `U${e.element} ${e.name}` }), el("td", { text: e.mean.toFixed(2).replace(".", ",") }))))),
    );
  }

  function renderHours(hours) {
    const shown = hours.filter((h) => h.tickets > 0);
    const first = Math.min(7, ...shown.map((h) => h.hour));
    const last = Math.max(16, ...shown.map((h) => h.hour));
    const peak = Math.max(1, ...hours.map((h) => h.tickets));
    $("#hours").replaceChildren(...hours.filter((h) => h.hour >= first && h.hour <= last).map((h) => {
      const bar = el("div", { class: "bar" });
      bar.style.height = Math.round((h.tickets / peak) * 100) + "%";
      return el("div", { class: "h" + (h.tickets ? "" : " h0"), title: `${h.hour}.00: ${h.tickets}` },
        el("span", { class: "n", text: h.tickets ? num(h.tickets) : "" }), bar, el("span", { text: String(h.hour).padStart(2, "0") }));
    }));
  }

  /** Fetch a chart's SVG with the token and place it inline (no <img>: it needs the token). */
  async function loadChart(name, q) {
    const box = $("#chart-" + name);
    box.setAttribute("aria-busy", "true");
    try {
      const res = await fetch(`/api/sites/${encodeURIComponent(siteId)}/reports/charts/${name}.svg?${q}`, {
        headers: { Authorization: "Bearer " + state.session.token }, cache: "no-store", credentials: "omit",
      });
      if (!res.ok) throw new Error("HTTP " + res.status);
      const doc = new DOMParser().parseFromString(await res.text(), "image/svg+xml");
      const svg = doc.documentElement;
      if (svg.nodeName !== "svg") throw new Error("not an SVG");
      box.replaceChildren(document.importNode(svg, true));
    } catch (e) {
      box.replaceChildren(el("p", { class: "muted", text: "Grafik tidak dapat dimuat: " + e.message }));
    } finally {
      box.setAttribute("aria-busy", "false");
    }
  }

  async function refresh(ev) {
    if (ev) ev.preventDefault();
    message("");
    $("#loading").hidden = false;
    const q = query();
    try {
      const report = await call("GET", `/api/sites/${encodeURIComponent(siteId)}/reports?${q}`);
      render(report);
      $("#report").hidden = false;
      await Promise.all(["heatmap", "wait-trend", "sla"].map((name) => loadChart(name, q)));
      await loadComplaints();
    } catch (e) {
      if (e.status !== 401) message(e.status === 403 ? "Tidak diizinkan: " + MPP.detailText(e.detail) : MPP.detailText(e.detail));
    } finally {
      $("#loading").hidden = true;
    }
  }

  async function download(path, name) {
    try {
      const res = await fetch(path, { headers: { Authorization: "Bearer " + state.session.token }, cache: "no-store" });
      if (!res.ok) throw new MPP.ApiError(res.status, (await res.json().catch(() => ({}))).detail);
      const url = URL.createObjectURL(await res.blob());
      const a = el("a", { href: url, download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      if (e.status === 401) showLogin("Sesi berakhir. Silakan masuk kembali.");
      else message(MPP.detailText(e.detail));
    }
  }

  // --- complaints -------------------------------------------------------------------------

  const STATUS = { received: "Diterima", in_process: "Diproses", resolved: "Selesai" };

  async function loadComplaints() {
    const list = await call("GET", `/api/sites/${encodeURIComponent(siteId)}/complaints?limit=50`);
    const ul = $("#complaint-list");
    ul.replaceChildren(...list.map(complaintItem));
    if (!list.length) ul.append(el("li", { class: "muted", text: "Belum ada pengaduan atau saran." }));
  }

  function complaintItem(c) {
    const when = MPP.formatDate(c.received_at, state.site.timezone) + " " + MPP.formatTime(c.received_at, state.site.timezone);
    const li = el("li", { dataset: { id: c.id } },
      el("div", { class: "c-head" },
        el("span", { class: "c-num", text: c.number }),
        el("span", { class: "c-status " + c.status, text: STATUS[c.status] }),
        el("span", { text: c.kind === "complaint" ? "Pengaduan" : "Saran" }),
        el("span", { text: when }),
        c.agency_name ? el("span", { text: c.agency_name }) : null,
        c.ticket_number ? el("span", { text: "tiket " + c.ticket_number }) : null,
        c.contact_phone ? el("span", { text: c.contact_phone }) : null),
      el("div", { class: "c-text", text: c.text }));
    if (c.status !== "resolved") {
      const text = el("textarea", { rows: 1, placeholder: "Tanggapan…", "aria-label": "Tanggapan untuk " + c.number });
      const form = el("form", {},
        text,
        el("button", { type: "submit", class: "btn secondary small", dataset: { status: "in_process" }, text: "Proses" }),
        el("button", { type: "submit", class: "btn ok small", dataset: { status: "resolved" }, text: "Selesaikan" }));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const status = ev.submitter ? ev.submitter.dataset.status : "in_process";
        if (!text.value.trim()) return text.focus();
        try {
          await call("POST", `/api/complaints/${c.id}/answer`, { json: { text: text.value, status } });
          await loadComplaints();
        } catch (e) {
          if (e.status !== 401) message(MPP.detailText(e.detail));
        }
      });
      li.append(form);
    }
    return li;
  }

  // --- start ------------------------------------------------------------------------------

  $("#login-form").addEventListener("submit", login);
  $("#filters").addEventListener("submit", refresh);
  $("#logout").addEventListener("click", () => showLogin(""));
  $("#dl-csv").addEventListener("click", () =>
    download(`/api/sites/${encodeURIComponent(siteId)}/reports.csv?${query()}`, `laporan-${siteId}.csv`));
  $("#dl-xlsx").addEventListener("click", () =>
    download(`/api/sites/${encodeURIComponent(siteId)}/reports.xlsx?${query()}`, `laporan-${siteId}.xlsx`));
  $("#dl-lapor").addEventListener("click", () =>
    download(`/api/sites/${encodeURIComponent(siteId)}/complaints.csv?from=${$("#f-from").value}&to=${$("#f-to").value}`, `pengaduan-${siteId}.csv`));

  state.session = load();
  if (state.session && state.session.expires_at > Date.now()) enter();
  else showLogin("");
})();
