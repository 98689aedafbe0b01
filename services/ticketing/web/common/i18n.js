/* The translation helper: Bahasa Indonesia first, English on a toggle. Every string a page
 * shows goes through `t(key, vars)`; the shared strings are here, each page adds its own
 * catalogue (web/strings/*.js) with `addStrings`. A page opened with `startLang({remember:
 * true})` keeps the choice in localStorage (a citizen's own phone); the kiosk starts every
 * citizen in Indonesian and keeps nothing (`remember: false`, `setLang("id")` on reset).
 * Nothing here touches the DOM or storage until a function is called. */

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
    "common.noCounter": "belum ada loket yang melayani",
    "common.siteNotFound": "Lokasi MPP tidak ditemukan.",
    "common.noData": "Tidak ada data.",
    "common.period": "{from} s.d. {to}",
    "field.phone": "Nomor HP",
    "field.contact_phone": "Nomor HP",
    "field.service_id": "Layanan",
    "field.priority": "Prioritas",
    "field.text": "Isi",
    "field.comment": "Saran",
    "field.answers": "Jawaban",
    "field.name": "Nama",
    "login.username": "Nama pengguna",
    "login.password": "Kata sandi",
    "login.go": "Masuk",
    "login.bad": "Nama pengguna atau kata sandi salah.",
    "login.tooMany": "Terlalu banyak percobaan masuk. Coba lagi nanti.",
    "login.expired": "Sesi berakhir. Silakan masuk kembali.",
    "login.logout": "Keluar",
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
    "common.noCounter": "no counter is serving yet",
    "common.siteNotFound": "This MPP was not found.",
    "common.noData": "No data.",
    "common.period": "{from} to {to}",
    "field.phone": "Mobile number",
    "field.contact_phone": "Mobile number",
    "field.service_id": "Service",
    "field.priority": "Priority",
    "field.text": "Text",
    "field.comment": "Suggestion",
    "field.answers": "Answers",
    "field.name": "Name",
    "login.username": "Username",
    "login.password": "Password",
    "login.go": "Log in",
    "login.bad": "Wrong username or password.",
    "login.tooMany": "Too many sign-in attempts. Try again later.",
    "login.expired": "Session ended. Please log in again.",
    "login.logout": "Log out",
  },
};

let lang = "id";
let remember = false;
const listeners = [];

/** The text of `key` in the current language (Indonesian when English lacks it), with
 * `{name}` placeholders filled from `vars`; `key.one` instead where `vars.n` is 1 and the
 * catalogue has it ("1 service", not "1 services"). An unknown key shows as itself. */
export function t(key, vars) {
  const one = vars && Number(vars.n) === 1 && has(key + ".one");
  const k = one ? key + ".one" : key;
  let s = STRINGS[lang][k] ?? STRINGS.id[k] ?? k;
  if (vars) {
    for (const [k, v] of Object.entries(vars)) s = s.split("{" + k + "}").join(String(v));
  }
  return s;
}

/** Whether a key has a text (for optional labels such as `field.<name>`). */
export function has(key) {
  return key in STRINGS[lang] || key in STRINGS.id;
}

/** A page's own catalogue, `{id: {...}, en: {...}}`, added to the shared one. */
export function addStrings(more) {
  for (const [code, table] of Object.entries(more)) Object.assign(STRINGS[code], table);
}

/** Every catalogue as it is now (for tests: both languages have the same keys). */
export function catalogues() {
  return STRINGS;
}

export function currentLang() {
  return lang;
}

/** The Intl locale of the current language. */
export function locale() {
  return lang === "en" ? "en-GB" : "id-ID";
}

/** Fill every [data-i18n] element's text, [data-i18n-placeholder] placeholder and
 * [data-i18n-label] aria-label under `root`, and the page's lang attribute. */
export function translate(root) {
  const scope = root || document;
  scope.querySelectorAll("[data-i18n]").forEach((node) => {
    node.textContent = t(node.dataset.i18n);
  });
  scope.querySelectorAll("[data-i18n-placeholder]").forEach((node) => {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  });
  scope.querySelectorAll("[data-i18n-label]").forEach((node) => {
    node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  });
  document.documentElement.lang = lang;
}

/** The page's first language: Indonesian, or (with `remember`) what this browser chose
 * before. Translates the page. */
export function startLang(options) {
  remember = Boolean(options && options.remember);
  lang = "id";
  if (remember) {
    try {
      if (localStorage.getItem(LANG_KEY) === "en") lang = "en";
    } catch (_) {
      /* storage may be disabled */
    }
  }
  translate();
}

/** Switch language, re-translate, and tell every listener (which re-render what scripts
 * wrote). The same language again does nothing. */
export function setLang(next) {
  const chosen = next === "en" ? "en" : "id";
  if (chosen === lang) return;
  lang = chosen;
  if (remember) {
    try {
      localStorage.setItem(LANG_KEY, lang);
    } catch (_) {
      /* kept until the page closes */
    }
  }
  translate();
  listeners.forEach((fn) => fn(lang));
}

/** A button that switches language; `onChange` re-renders what scripts wrote. */
export function langToggle(button, onChange) {
  if (onChange) listeners.push(onChange);
  button.addEventListener("click", () => setLang(lang === "id" ? "en" : "id"));
}
