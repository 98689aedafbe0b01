/* Antrian MPP — what every page shares: language (Bahasa Indonesia first, English on a
 * toggle kept in localStorage), calls to the ticketing API, times in the site's zone, and
 * the staff pages' login kept in sessionStorage. No page ever shows a phone number. */
"use strict";

const MPP = (() => {
  const LANG_KEY = "antrian.lang";
  const STRINGS = {
    id: {
      "lang.toggle": "English",
      "common.back": "Kembali",
      "common.loading": "Memuat…",
      "common.offline": "Tidak terhubung ke server. Mencoba lagi…",
      "common.error": "Terjadi kesalahan",
      "common.minutes": "{n} menit",
      "common.lessMinute": "< 1 menit",
      "common.unknownWait": "—",
      "common.siteNotFound": "Lokasi MPP tidak ditemukan.",
      "field.phone": "Nomor HP",
      "field.service_id": "Layanan",
      "field.priority": "Prioritas",
      // kiosk
      "kiosk.title": "Ambil Nomor Antrian",
      "kiosk.chooseAgency": "Pilih instansi",
      "kiosk.chooseService": "Pilih layanan",
      "kiosk.services": "{n} layanan",
      "kiosk.waiting": "{n} menunggu",
      "kiosk.wait": "Perkiraan tunggu {t}",
      "kiosk.closed": "Tutup",
      "kiosk.confirm": "Konfirmasi",
      "kiosk.priority": "Prioritas",
      "kiosk.priorityHint": "Lansia, penyandang disabilitas, ibu hamil",
      "kiosk.phone": "Nomor HP untuk SMS (tidak wajib)",
      "kiosk.phoneHint": "Kami kirim SMS saat giliran Anda hampir tiba.",
      "kiosk.clear": "Hapus",
      "kiosk.take": "Ambil Tiket",
      "kiosk.taking": "Memproses…",
      "kiosk.yourNumber": "Nomor antrian Anda",
      "kiosk.ahead": "Orang di depan Anda",
      "kiosk.estimate": "Perkiraan tunggu",
      "kiosk.issuedAt": "Waktu ambil",
      "kiosk.scan": "Pindai untuk memantau antrian dari HP Anda",
      "kiosk.print": "Cetak",
      "kiosk.done": "Selesai",
      "kiosk.returning": "Kembali ke awal dalam {n} detik",
      "kiosk.smsOn": "SMS pemberitahuan akan dikirim.",
      "kiosk.priorityOn": "Antrian prioritas",
      "kiosk.keepTicket": "Simpan nomor ini dan perhatikan layar panggilan.",
      "kiosk.quotaEnds": "Kuota diperkirakan habis pukul {t}",
      "kiosk.quotaGone": "Kuota hari ini sudah habis",
      "kiosk.placeToday": "Hari ini di {p}",
      "kiosk.haveAppointment": "Saya punya janji temu",
      "kiosk.appointmentTitle": "Check-in janji temu",
      "kiosk.appointmentCode": "Ketik kode janji temu (8 huruf/angka) dari SMS atau halaman pemesanan",
      "kiosk.checkIn": "Check-in",
      "kiosk.checkingIn": "Memproses…",
      "kiosk.appointmentNotFound": "Kode janji temu tidak ditemukan di MPP ini. Periksa kembali kodenya.",
      "kiosk.alreadyCheckedIn": "Janji temu ini sudah check-in. Ini nomor antrian Anda.",
      "kiosk.appointmentFlag": "Janji temu",
      // operator
      "op.title": "Konsol Operator Loket",
      "op.login": "Masuk",
      "op.username": "Nama pengguna (ID loket)",
      "op.password": "Kata sandi",
      "op.badLogin": "Nama pengguna atau kata sandi salah.",
      "op.expired": "Sesi berakhir. Silakan masuk kembali.",
      "op.pickCounter": "Pilih loket",
      "op.logout": "Keluar",
      "op.current": "Sedang dilayani",
      "op.none": "Belum ada tiket dipanggil",
      "op.next": "Panggil Berikutnya",
      "op.recall": "Panggil Ulang",
      "op.complete": "Selesai",
      "op.noShow": "Tidak Hadir",
      "op.transfer": "Alihkan",
      "op.transferTo": "Alihkan ke layanan",
      "op.transferGo": "Alihkan",
      "op.cancel": "Batal",
      "op.calledCount": "Dipanggil {n}×",
      "op.since": "sejak dipanggil",
      "op.queues": "Antrian loket ini",
      "op.waitingN": "{n} menunggu",
      "op.empty": "Tidak ada yang menunggu. Coba lagi sebentar lagi.",
      "op.called": "{num} dipanggil ke {counter}.",
      "op.recalled": "{num} dipanggil ulang.",
      "op.completed": "{num} selesai dilayani.",
      "op.noShowed": "{num} ditandai tidak hadir.",
      "op.transferred": "{num} dialihkan ke {svc}.",
      "op.forbidden": "Tidak diizinkan: {d}",
      "op.conflict": "Tidak dapat dilakukan: {d}",
      "op.shortcuts": "Pintasan: N panggil · R ulang · S selesai · X tidak hadir · T alihkan",
      // tracking
      "t.title": "Status Antrian",
      "t.waiting": "Menunggu",
      "t.called": "Dipanggil ke {counter}",
      "t.calledGo": "Silakan menuju {counter} sekarang.",
      "t.served": "Selesai",
      "t.no_show": "Tidak hadir",
      "t.cancelled": "Dibatalkan",
      "t.transferred": "Dialihkan, menunggu di layanan baru",
      "t.ahead": "Orang di depan Anda",
      "t.estimate": "Perkiraan tunggu",
      "t.issuedAt": "Diambil pukul",
      "t.cancel": "Batalkan antrian",
      "t.confirmCancel": "Yakin membatalkan nomor antrian ini? Nomor tidak dapat dipakai lagi.",
      "t.yesCancel": "Ya, batalkan",
      "t.no": "Tidak",
      "t.notFound": "Tiket tidak ditemukan.",
      "t.updated": "Diperbarui {time}",
      "t.final": "Terima kasih telah menggunakan layanan MPP.",
    },
    en: {
      "lang.toggle": "Bahasa Indonesia",
      "common.back": "Back",
      "common.loading": "Loading…",
      "common.offline": "Cannot reach the server. Retrying…",
      "common.error": "Something went wrong",
      "common.minutes": "{n} min",
      "common.lessMinute": "< 1 min",
      "common.unknownWait": "—",
      "common.siteNotFound": "This MPP was not found.",
      "field.phone": "Mobile number",
      "field.service_id": "Service",
      "field.priority": "Priority",
      "kiosk.title": "Take a Queue Number",
      "kiosk.chooseAgency": "Choose an agency",
      "kiosk.chooseService": "Choose a service",
      "kiosk.services": "{n} services",
      "kiosk.waiting": "{n} waiting",
      "kiosk.wait": "Estimated wait {t}",
      "kiosk.closed": "Closed",
      "kiosk.confirm": "Confirm",
      "kiosk.priority": "Priority",
      "kiosk.priorityHint": "Elderly, people with disabilities, pregnant women",
      "kiosk.phone": "Mobile number for SMS (optional)",
      "kiosk.phoneHint": "We text you when your turn is near.",
      "kiosk.clear": "Clear",
      "kiosk.take": "Take Ticket",
      "kiosk.taking": "Working…",
      "kiosk.yourNumber": "Your queue number",
      "kiosk.ahead": "People ahead of you",
      "kiosk.estimate": "Estimated wait",
      "kiosk.issuedAt": "Taken at",
      "kiosk.scan": "Scan to follow your queue on your phone",
      "kiosk.print": "Print",
      "kiosk.done": "Done",
      "kiosk.returning": "Back to start in {n} s",
      "kiosk.smsOn": "You will get SMS notifications.",
      "kiosk.priorityOn": "Priority queue",
      "kiosk.keepTicket": "Keep this number and watch the call screen.",
      "kiosk.quotaEnds": "Quota expected to run out at {t}",
      "kiosk.quotaGone": "Today's quota is used up",
      "kiosk.placeToday": "Today at {p}",
      "kiosk.haveAppointment": "I have an appointment",
      "kiosk.appointmentTitle": "Appointment check-in",
      "kiosk.appointmentCode": "Type your 8-character appointment code from the SMS or booking page",
      "kiosk.checkIn": "Check in",
      "kiosk.checkingIn": "Working…",
      "kiosk.appointmentNotFound": "No appointment with this code at this MPP. Please check the code.",
      "kiosk.alreadyCheckedIn": "This appointment is already checked in. Here is your queue number.",
      "kiosk.appointmentFlag": "Appointment",
      "op.title": "Counter Operator Console",
      "op.login": "Log in",
      "op.username": "Username (counter id)",
      "op.password": "Password",
      "op.badLogin": "Wrong username or password.",
      "op.expired": "Session ended. Please log in again.",
      "op.pickCounter": "Choose a counter",
      "op.logout": "Log out",
      "op.current": "Now serving",
      "op.none": "No ticket called yet",
      "op.next": "Call Next",
      "op.recall": "Recall",
      "op.complete": "Done",
      "op.noShow": "No Show",
      "op.transfer": "Transfer",
      "op.transferTo": "Transfer to service",
      "op.transferGo": "Transfer",
      "op.cancel": "Cancel",
      "op.calledCount": "Called {n}×",
      "op.since": "since called",
      "op.queues": "This counter's queues",
      "op.waitingN": "{n} waiting",
      "op.empty": "Nobody is waiting. Try again in a moment.",
      "op.called": "{num} called to {counter}.",
      "op.recalled": "{num} called again.",
      "op.completed": "{num} served.",
      "op.noShowed": "{num} marked as no-show.",
      "op.transferred": "{num} transferred to {svc}.",
      "op.forbidden": "Not allowed: {d}",
      "op.conflict": "Cannot do that: {d}",
      "op.shortcuts": "Shortcuts: N next · R recall · S done · X no-show · T transfer",
      "t.title": "Queue Status",
      "t.waiting": "Waiting",
      "t.called": "Called to {counter}",
      "t.calledGo": "Please go to {counter} now.",
      "t.served": "Done",
      "t.no_show": "Did not show up",
      "t.cancelled": "Cancelled",
      "t.transferred": "Transferred, waiting in the new service",
      "t.ahead": "People ahead of you",
      "t.estimate": "Estimated wait",
      "t.issuedAt": "Taken at",
      "t.cancel": "Cancel my ticket",
      "t.confirmCancel": "Cancel this queue number? It cannot be used again.",
      "t.yesCancel": "Yes, cancel",
      "t.no": "No",
      "t.notFound": "Ticket not found.",
      "t.updated": "Updated {time}",
      "t.final": "Thank you for using the MPP.",
    },
  };

  let lang = "id";
  try {
    if (localStorage.getItem(LANG_KEY) === "en") lang = "en";
  } catch (_) {
    /* storage may be disabled on a locked-down kiosk */
  }
  const listeners = [];

  function t(key, vars) {
    let s = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.id[key] || key;
    if (vars) {
      for (const [k, v] of Object.entries(vars)) s = s.split("{" + k + "}").join(String(v));
    }
    return s;
  }

  /** A page's own strings, `{id: {...}, en: {...}}`, added to the shared ones. */
  function addStrings(more) {
    for (const [code, table] of Object.entries(more)) Object.assign(STRINGS[code], table);
  }

  /** Fill every [data-i18n] element's text (and [data-i18n-placeholder] placeholders). */
  function translate(root) {
    const scope = root || document;
    scope.querySelectorAll("[data-i18n]").forEach((el) => {
      el.textContent = t(el.dataset.i18n);
    });
    scope.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
      el.placeholder = t(el.dataset.i18nPlaceholder);
    });
    document.documentElement.lang = lang;
  }

  function setLang(next) {
    lang = next === "en" ? "en" : "id";
    try {
      localStorage.setItem(LANG_KEY, lang);
    } catch (_) {
      /* ignore */
    }
    translate();
    listeners.forEach((fn) => fn(lang));
  }

  /** A button that switches language; `onChange` re-renders what scripts wrote. */
  function langToggle(button, onChange) {
    if (onChange) listeners.push(onChange);
    button.addEventListener("click", () => setLang(lang === "id" ? "en" : "id"));
  }

  class ApiError extends Error {
    constructor(status, detail) {
      super(typeof detail === "string" ? detail : "HTTP " + status);
      this.status = status;
      this.detail = detail;
    }
  }

  /** Call the API; answer the parsed JSON (null for 204), throw ApiError otherwise.
   * A network failure throws ApiError with status 0. */
  async function api(method, path, opts) {
    const o = opts || {};
    const headers = Object.assign({ Accept: "application/json" }, o.headers || {});
    let body;
    if (o.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(o.json);
    } else if (o.form) {
      body = new URLSearchParams(o.form);
    }
    if (o.token) headers.Authorization = "Bearer " + o.token;
    let res;
    try {
      res = await fetch(path, { method, headers, body, cache: "no-store", credentials: "omit" });
    } catch (_) {
      throw new ApiError(0, t("common.offline"));
    }
    if (res.status === 204) return null;
    let data = null;
    try {
      data = await res.json();
    } catch (_) {
      data = null;
    }
    if (!res.ok) throw new ApiError(res.status, data && data.detail !== undefined ? data.detail : null);
    return data;
  }

  /** Human text for an error `detail`: a string, or FastAPI's 422 list of {loc, msg}. */
  function detailText(detail) {
    if (detail == null) return t("common.error");
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail
        .map((d) => {
          const name = Array.isArray(d.loc) ? String(d.loc[d.loc.length - 1]) : "";
          const field = STRINGS[lang]["field." + name] || name;
          const msg = String(d.msg || "").replace(/^Value error, /, "");
          return field ? field + ": " + msg : msg;
        })
        .join("; ");
    }
    return t("common.error");
  }

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    // randomUUID needs a secure context; kiosks on a plain-http LAN get this instead
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function locale() {
    return lang === "en" ? "en-GB" : "id-ID";
  }

  /** "14.05" style clock time of an ISO instant in the site's time zone. */
  function formatTime(iso, timeZone, withSeconds) {
    const d = iso instanceof Date ? iso : new Date(iso);
    const opts = { hour: "2-digit", minute: "2-digit", hour12: false };
    if (withSeconds) opts.second = "2-digit";
    try {
      return new Intl.DateTimeFormat(locale(), Object.assign({ timeZone }, opts)).format(d);
    } catch (_) {
      return new Intl.DateTimeFormat(locale(), opts).format(d);
    }
  }

  function formatDate(iso, timeZone) {
    const d = iso instanceof Date ? iso : new Date(iso);
    const opts = { weekday: "long", day: "numeric", month: "long", year: "numeric" };
    try {
      return new Intl.DateTimeFormat(locale(), Object.assign({ timeZone }, opts)).format(d);
    } catch (_) {
      return new Intl.DateTimeFormat(locale(), opts).format(d);
    }
  }

  /** The calendar day ("2026-12-02") of an instant in the site's time zone, not the
   * browser's or UTC's: a report opened at 07:30 WITA is for today in Balangan. */
  function siteDay(instant, timeZone) {
    const d = instant instanceof Date ? instant : new Date(instant);
    const parts = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    }).formatToParts(d);
    const part = (type) => parts.find((p) => p.type === type).value;
    return `${part("year")}-${part("month")}-${part("day")}`;
  }

  /** The day before or after a "YYYY-MM-DD" calendar day, counted in whole days. */
  function addDays(day, n) {
    const d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  /** A short zone label (WIB / WITA / WIT) for Indonesia's three zones. */
  function zoneLabel(timeZone) {
    return (
      {
        "Asia/Jakarta": "WIB",
        "Asia/Pontianak": "WIB",
        "Asia/Makassar": "WITA",
        "Asia/Jayapura": "WIT",
      }[timeZone] || ""
    );
  }

  /** Estimated wait in minutes, rounded up. */
  function formatWait(seconds) {
    if (seconds == null) return t("common.unknownWait");
    if (seconds < 60) return t("common.lessMinute");
    return t("common.minutes", { n: Math.ceil(seconds / 60) });
  }

  /** mm:ss (or h:mm:ss) since an instant. */
  function elapsed(fromIso, now) {
    const s = Math.max(0, Math.floor(((now || Date.now()) - new Date(fromIso).getTime()) / 1000));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${String(m).padStart(2, "0")}:${sec}`;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c != null) node.append(c);
    return node;
  }

  // sessionStorage: a staff login lasts as long as the tab (closing it logs out)
  function sessionLoad(key) {
    try {
      return JSON.parse(sessionStorage.getItem(key) || "null");
    } catch (_) {
      return null;
    }
  }

  function sessionSave(key, value) {
    try {
      if (value == null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, JSON.stringify(value));
    } catch (_) {
      /* private mode: the page still works until reload */
    }
  }

  function $(sel, root) {
    return (root || document).querySelector(sel);
  }

  return {
    t,
    addStrings,
    translate,
    setLang,
    langToggle,
    get lang() {
      return lang;
    },
    api,
    ApiError,
    detailText,
    uuid,
    formatTime,
    formatDate,
    siteDay,
    addDays,
    zoneLabel,
    formatWait,
    elapsed,
    el,
    $,
    sessionLoad,
    sessionSave,
  };
})();
