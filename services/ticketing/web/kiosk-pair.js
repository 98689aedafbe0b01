/* Pairing a kiosk with its MPP (CONTRACT.md "Who may do what"). Where the site requires
 * enrolled kiosks and this browser keeps no kiosk token, the kiosk shows a pairing screen:
 * a supervisor signs in, names the kiosk, and the page enrols it. Only the kiosk's token is
 * kept (localStorage: it survives a restart of the kiosk PC); the supervisor's token is
 * used for that one call and dropped. A 401 later (the kiosk was revoked) forgets the
 * token, and the kiosk pairs again. */
"use strict";

const KioskPairing = (() => {
  const { t, api, $ } = MPP;

  MPP.addStrings({
    id: {
      "pair.title": "Daftarkan kiosk ini",
      "pair.intro":
        "MPP ini hanya menerima tiket dari kiosk yang terdaftar. Supervisor MPP masuk di sini untuk mendaftarkan kiosk ini.",
      "pair.revoked": "Kiosk ini tidak lagi terdaftar. Minta supervisor mendaftarkannya kembali.",
      "pair.username": "Nama pengguna supervisor",
      "pair.password": "Kata sandi",
      "pair.name": "Nama kiosk",
      "pair.namePlaceholder": "mis. Kiosk lobi utara",
      "pair.go": "Daftarkan kiosk",
      "pair.working": "Mendaftarkan…",
      "pair.badLogin": "Nama pengguna atau kata sandi salah.",
      "pair.tooMany": "Terlalu banyak percobaan masuk. Coba lagi nanti.",
      "pair.notSupervisor": "Akun ini bukan supervisor MPP ini.",
    },
    en: {
      "pair.title": "Register this kiosk",
      "pair.intro":
        "This MPP only takes tickets from registered kiosks. An MPP supervisor signs in here to register this kiosk.",
      "pair.revoked": "This kiosk is no longer registered. Ask a supervisor to register it again.",
      "pair.username": "Supervisor username",
      "pair.password": "Password",
      "pair.name": "Kiosk name",
      "pair.namePlaceholder": "e.g. North lobby kiosk",
      "pair.go": "Register kiosk",
      "pair.working": "Registering…",
      "pair.badLogin": "Wrong username or password.",
      "pair.tooMany": "Too many sign-in attempts. Try again later.",
      "pair.notSupervisor": "This account is not a supervisor of this MPP.",
    },
  });

  function storageKey(siteId) {
    return "antrian.kiosk." + siteId;
  }

  /** The kiosk token this browser keeps for the site, or null. */
  function token(siteId) {
    try {
      return localStorage.getItem(storageKey(siteId));
    } catch (_) {
      return null; // storage disabled: the kiosk pairs on every start
    }
  }

  function forget(siteId) {
    try {
      localStorage.removeItem(storageKey(siteId));
    } catch (_) {
      /* nothing kept */
    }
  }

  function keep(siteId, value) {
    try {
      localStorage.setItem(storageKey(siteId), value);
    } catch (_) {
      /* kept in memory by the kiosk until it restarts */
    }
  }

  function error(text) {
    const box = $("#pair-error");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function setBusy(busy) {
    const b = $("#pair-go");
    b.disabled = busy;
    b.textContent = t(busy ? "pair.working" : "pair.go");
  }

  /** Sign the supervisor in, enrol the kiosk with their token, drop that token. */
  async function enrol(siteId) {
    const username = $("#pair-username").value.trim();
    const password = $("#pair-password").value;
    const name = $("#pair-name").value.trim();
    let staff;
    try {
      staff = await api("POST", "/api/auth/token", { form: { username, password } });
    } catch (e) {
      error(e.status === 401 ? t("pair.badLogin") : e.status === 429 ? t("pair.tooMany") : MPP.detailText(e.detail));
      return null;
    } finally {
      $("#pair-password").value = "";
    }
    try {
      const kiosk = await api("POST", `/api/sites/${encodeURIComponent(siteId)}/kiosks`, {
        json: { name },
        token: staff.access_token,
      });
      return kiosk.token;
    } catch (e) {
      error(e.status === 403 || e.status === 401 ? t("pair.notSupervisor") : MPP.detailText(e.detail));
      return null;
    } finally {
      staff = null; // the supervisor's token is never kept
    }
  }

  /** Show the pairing form (`revoked`: say why it is back); resolves with the kiosk token. */
  function pair(siteId, revoked) {
    $("#pair-revoked").hidden = !revoked;
    error("");
    setBusy(false);
    return new Promise((resolve) => {
      $("#pair-form").onsubmit = async (ev) => {
        ev.preventDefault();
        setBusy(true);
        error("");
        const kioskToken = await enrol(siteId);
        setBusy(false);
        if (!kioskToken) return;
        keep(siteId, kioskToken);
        $("#pair-username").value = "";
        $("#pair-form").onsubmit = null;
        resolve(kioskToken);
      };
    });
  }

  return { token, forget, pair };
})();
