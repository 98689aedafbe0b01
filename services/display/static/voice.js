/* Which calls are announced, and when: one at a time, in order, never overlapping, with
   the call shown in the call panel meanwhile. A call is news only once, and only if it is
   newer than every call this page has known (or made in the last seconds): a display that
   restarts replays today's events, and those must stay quiet. A call heard of too late
   (a broker outage held it) is shown, not spoken; a call that no longer stands (no-show,
   cancelled, served, replaced) leaves the queue and the panel at once. */

const STALE_MS = 90000;     // older than this when its turn comes: not spoken
const JUST_NOW_MS = 30000;  // this recent: news even if its sequence is not
const PAUSE_MS = 700;       // silence between two announcements
const PANEL_MS = 7000;      // the call panel stays at least this long

export function makeVoice({ speech, view, now, standing }) {
  const considered = new Set();
  let highest = null;
  const queue = [];
  let speaking = false;
  let current = null;
  let shownAt = 0;
  let hideTimer = null;

  /** What this page has seen before it listens (a new page, a new day): stays quiet. */
  function history(calls, lastSequence) {
    highest = lastSequence || 0;
    for (const c of calls) {
      considered.add(c.event_id);
      highest = Math.max(highest, c.sequence);
    }
  }

  function isNews(call) {
    if (considered.has(call.event_id)) return false;
    considered.add(call.event_id);
    if (highest === null || call.sequence > highest) {
      highest = call.sequence;
      return true;
    }
    return now() - Date.parse(call.called_at) < JUST_NOW_MS;
  }

  function hideSoon() {
    clearTimeout(hideTimer);
    const left = Math.max(0, PANEL_MS - (Date.now() - shownAt));
    hideTimer = setTimeout(() => { if (!speaking) { current = null; view.hideCall(); } }, left);
  }

  async function next() {
    const call = queue.shift();
    if (!call) { speaking = false; hideSoon(); return; }
    speaking = true;
    if (!standing(call) || now() - Date.parse(call.called_at) > STALE_MS) { next(); return; }
    current = call;
    shownAt = Date.now();
    clearTimeout(hideTimer);
    view.showCall(call);
    try { await speech.say(call); } catch (e) { /* the panel and the chime are enough */ }
    setTimeout(next, PAUSE_MS);
  }

  /** Announce a call if it is news. */
  function offer(call) {
    if (!isNews(call)) return false;
    queue.push(call);
    if (!speaking) next();
    return true;
  }

  /** The board changed: drop what no longer stands, from the queue and from the panel. */
  function recheck() {
    for (let i = queue.length - 1; i >= 0; i--) if (!standing(queue[i])) queue.splice(i, 1);
    if (current && !standing(current)) {
      current = null;
      view.hideCall();
      speech.stop();
    }
  }

  return { history, offer, recheck, busy: () => speaking || queue.length > 0 };
}
