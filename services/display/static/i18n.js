/* The lobby board's words: every string the page shows goes through t(key, params).
   Board-local (the ticketing pages have their own in services/ticketing/web/): the board is
   Indonesian; `?lang=en` shows the English words for a foreign-language desk.
   Dates and times are formatted in the site's own zone (WIB/WITA/WIT), never the PC's. */

const WORDS = {
  id: {
    "title": "Papan Antrean",
    "serving": "Sedang Dilayani",
    "recent": "Panggilan Terakhir",
    "waiting": "Menunggu",
    "waiting.others": "Layanan lain: tidak ada yang menunggu",
    "waiting.none": "Tidak ada yang menunggu",
    "flash.label": "Nomor Antrean",
    "flash.go": "silakan menuju",
    "offline": "● offline",
    "offline.title": "Terputus dari server; menyambung kembali…",
    "sound": "Ketuk untuk menyalakan suara panggilan",
    "closed.today": "Tutup — buka pukul {time}",
    "closed.later": "Tutup — buka {day} pukul {time}",
    "closed.unknown": "Tutup",
    "mobile.today": "Hari ini di {place}",
    "mobile.next": "Berikutnya: {day} di {place}",
    "ticker": "Selamat datang di Mal Pelayanan Publik. Ambil nomor antrean di anjungan, lalu perhatikan panggilan di layar ini. Layanan tanpa calo dan tanpa pungutan liar — semua layanan sesuai standar pelayanan.",
    "idle": "—",
    "paused": "Jeda",
    "paused.since": "{reason} sejak {time}",
    "break.istirahat": "Istirahat",
    "break.shalat": "Shalat",
    "break.rapat": "Rapat",
    "break.gangguan sistem": "Gangguan sistem",
    "service.closed": "Tutup",
  },
  en: {
    "title": "Queue Board",
    "serving": "Now Serving",
    "recent": "Last Calls",
    "waiting": "Waiting",
    "waiting.others": "Other services: nobody waiting",
    "waiting.none": "Nobody waiting",
    "flash.label": "Ticket Number",
    "flash.go": "please go to",
    "offline": "● offline",
    "offline.title": "Disconnected from the server; reconnecting…",
    "sound": "Tap to turn on the call sound",
    "closed.today": "Closed — opens at {time}",
    "closed.later": "Closed — opens {day} at {time}",
    "closed.unknown": "Closed",
    "mobile.today": "Today at {place}",
    "mobile.next": "Next: {day} at {place}",
    "ticker": "Welcome to the Public Service Mall. Take a ticket at the kiosk and watch this screen for your call. No touts, no illegal fees — every service follows its service standard.",
    "idle": "—",
    "paused": "Break",
    "paused.since": "{reason} since {time}",
    "break.istirahat": "Rest break",
    "break.shalat": "Prayer break",
    "break.rapat": "Meeting",
    "break.gangguan sistem": "System problem",
    "service.closed": "Closed",
  },
};

const ZONES = { "Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT" };

export function makeI18n(lang) {
  const words = WORDS[lang] || WORDS.id;
  const locale = words === WORDS.en ? "en-GB" : "id-ID";

  /** The words for `key`, with {name} replaced from `params`. */
  function t(key, params = {}) {
    const text = words[key] ?? WORDS.id[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  }

  function parts(at, zone, options) {
    const out = {};
    new Intl.DateTimeFormat(locale, { timeZone: zone, ...options })
      .formatToParts(at).forEach((p) => { out[p.type] = p.value; });
    return out;
  }

  /** "08.00" (site zone, 24 h) and, with seconds, "." + seconds apart. */
  function clock(at, zone) {
    const p = parts(at, zone, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    return { time: `${p.hour}.${p.minute}`, seconds: p.second };
  }

  /** "Rabu, 2 Desember 2026" in the site's zone. */
  function longDate(at, zone) {
    return at.toLocaleDateString(locale, { timeZone: zone, weekday: "long", day: "numeric", month: "long", year: "numeric" });
  }

  /** "Senin, 7 Desember" in the site's zone. */
  function shortDate(at, zone) {
    return at.toLocaleDateString(locale, { timeZone: zone, weekday: "long", day: "numeric", month: "long" });
  }

  /** "2026-12-02": the day of `at` in the site's zone. */
  const isoDay = (at, zone) => at.toLocaleDateString("en-CA", { timeZone: zone });

  return { t, clock, longDate, shortDate, isoDay, zoneName: (zone) => ZONES[zone] || "" };
}
