/* Browser storage that never throws (a locked-down kiosk or private mode may refuse it):
 * sessionStorage for staff logins (closing the tab logs out), localStorage for a kiosk's
 * own enrolment token (kept as the bare string, as kiosks paired before stored it). */

function load(store, key) {
  try {
    return JSON.parse(store().getItem(key) || "null");
  } catch (_) {
    return null;
  }
}

function save(store, key, value) {
  try {
    if (value == null) store().removeItem(key);
    else store().setItem(key, JSON.stringify(value));
  } catch (_) {
    /* not kept: the page still works until it closes */
  }
}

export const sessionLoad = (key) => load(() => sessionStorage, key);
export const sessionSave = (key, value) => save(() => sessionStorage, key, value);

/** The string kept under `key` in localStorage, or null. */
export function localGet(key) {
  try {
    return localStorage.getItem(key);
  } catch (_) {
    return null;
  }
}

/** Keep a string under `key` in localStorage (null removes it). */
export function localSet(key, value) {
  try {
    if (value == null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch (_) {
    /* kept in memory by the page until it closes */
  }
}
