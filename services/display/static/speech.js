/* How the board makes sound: a chime, then the call's words (the board JSON's
   `announcement`, built by the display) by the browser's id-ID voice when it has one, else
   as WAV from the display's offline voice (/api/sites/{site}/announcement.wav), asked for
   every call (a display that had no voice a minute ago may have one now), else the chime
   alone. Browsers keep sound off until someone touches the page: `needsTap` says when. */

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** An id-ID voice, a local one first (a network voice fails without internet). */
function indonesianVoice() {
  if (!window.speechSynthesis || !speechSynthesis.getVoices) return null;
  const voices = (speechSynthesis.getVoices() || []).filter((v) => /^id([-_]|$)/i.test(v.lang || ""));
  return voices.find((v) => v.localService !== false) || voices[0] || null;
}

/** Browsers load their voices lazily: wait a moment for them the first time. */
function voicesReady() {
  if (!window.speechSynthesis || !speechSynthesis.getVoices) return Promise.resolve();
  if ((speechSynthesis.getVoices() || []).length) return Promise.resolve();
  return new Promise((resolve) => {
    if (speechSynthesis.addEventListener) speechSynthesis.addEventListener("voiceschanged", resolve);
    setTimeout(resolve, 1500);
  });
}

export class Speech {
  constructor({ sitePath, onBlocked }) {
    this.sitePath = sitePath;
    this.onBlocked = onBlocked;
    this.audio = null;
    this.stopping = null; // ends what is being said now, if anything
  }

  context() {
    if (!this.audio) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      try { this.audio = Ctx ? new Ctx() : null; } catch (e) { this.audio = null; }
    }
    return this.audio;
  }

  chime() {
    const ctx = this.context();
    if (!ctx || ctx.state !== "running") return wait(300);
    const t = ctx.currentTime;
    for (const [freq, at] of [[880, 0], [660, 0.35]]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + at);
      gain.gain.exponentialRampToValueAtTime(0.4, t + at + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + at + 0.6);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t + at);
      osc.stop(t + at + 0.65);
    }
    return wait(1000);
  }

  speakBrowser(text, voice) {
    return new Promise((resolve) => {
      const u = new SpeechSynthesisUtterance(text);
      u.lang = "id-ID";
      u.voice = voice;
      u.rate = 0.9;
      let done = false;
      const finish = (ok) => { if (!done) { done = true; this.stopping = null; resolve(ok); } };
      this.stopping = () => { try { speechSynthesis.cancel(); } catch (e) { /* ignore */ } finish(true); };
      u.onend = () => finish(true);
      u.onerror = (e) => finish(Boolean(e && e.error === "interrupted"));
      setTimeout(() => finish(true), 20000); // some engines never fire onend
      try { speechSynthesis.speak(u); } catch (e) { finish(false); }
    });
  }

  play(blob) {
    return new Promise((resolve) => {
      const src = URL.createObjectURL(blob);
      const player = new Audio(src);
      let done = false;
      const finish = (ok) => { if (!done) { done = true; this.stopping = null; URL.revokeObjectURL(src); resolve(ok); } };
      this.stopping = () => { player.pause(); finish(true); };
      player.addEventListener("ended", () => finish(true));
      player.addEventListener("error", () => finish(false));
      setTimeout(() => finish(true), 30000);
      const playing = player.play();
      if (playing && playing.catch) playing.catch(() => { this.onBlocked(); finish(false); });
    });
  }

  /** The display's offline voice: true if it played. Asked again for every call. */
  async speakOffline(call) {
    if (!call.counter_id) return false;
    const url = `${this.sitePath}/announcement.wav?ticket=${encodeURIComponent(call.ticket_number)}` +
      `&counter=${encodeURIComponent(call.counter_id)}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 8000);
    try {
      const r = await fetch(url, { signal: controller.signal });
      if (!r.ok) return false;
      return await this.play(await r.blob());
    } catch (e) {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Chime, then the call's words; resolves when done (whatever could be played), or
     at once after `stop`. */
  async say(call) {
    let stopped = false;
    this.stopping = () => { stopped = true; };
    await Promise.all([this.chime(), voicesReady()]);
    if (stopped) return;
    const voice = indonesianVoice();
    if (voice && await this.speakBrowser(call.announcement, voice)) return;
    if (!stopped) await this.speakOffline(call);
  }

  /** Stop what is being said (its call no longer stands). */
  stop() { if (this.stopping) this.stopping(); }

  /** Sound is off until a tap (autoplay policy). */
  needsTap() {
    const ctx = this.context();
    return Boolean(ctx && ctx.state === "suspended");
  }

  /** What a tap does: start the sound. */
  unlock() {
    const ctx = this.context();
    if (ctx && ctx.resume) ctx.resume();
    if (window.speechSynthesis && window.SpeechSynthesisUtterance) {
      try { speechSynthesis.speak(new SpeechSynthesisUtterance("")); } catch (e) { /* ignore */ }
    }
  }

  onRunning(fn) {
    const ctx = this.context();
    if (ctx && ctx.addEventListener) ctx.addEventListener("statechange", () => { if (ctx.state === "running") fn(); });
  }
}
