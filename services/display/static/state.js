/* The board as the display folded it: a snapshot, then the changes each event carries
   (`board` in the event's data; services/display/board.py `Board.changes`). Nothing is
   folded here: a change replaces what it names. */

export class BoardState {
  constructor(snapshot) {
    this.board = snapshot;
    this.serving = new Map(snapshot.now_serving.map((c) => [c.counter_id, c]));
    this.waiting = { ...snapshot.waiting };
    this.recent = snapshot.recent_calls.slice();
    this.lastSequence = snapshot.last_sequence || 0;
    this.opening = snapshot.opening || null;
    this.paused = snapshot.paused || {};  // counter_id -> {reason, since}: on a break
    this.closed = snapshot.closed || {};  // service_id -> {reason}: closed today
  }

  get day() { return this.board.day; }

  /** Apply one event's changes; false when they are of another day than this board's
     (the caller then starts from the next snapshot). */
  apply(changes) {
    if (!changes || !changes.day) return true;
    if (changes.reset) {
      this.board = { ...this.board, day: changes.day };
      this.serving.clear();
      this.waiting = {};
      this.recent = [];
      this.paused = {};
      this.closed = {};
    } else if (changes.day !== this.board.day) {
      return false;
    }
    for (const [counterId, call] of Object.entries(changes.now_serving || {})) {
      if (call) this.serving.set(counterId, call);
      else this.serving.delete(counterId);
    }
    Object.assign(this.waiting, changes.waiting || {});
    if (changes.recent_calls) this.recent = changes.recent_calls;
    if (changes.paused) this.paused = changes.paused;
    if (changes.closed) this.closed = changes.closed;
    for (const key of ["site_name", "counters", "services", "agencies"]) {
      if (key in changes) this.board = { ...this.board, [key]: changes[key] };
    }
    this.lastSequence = Math.max(this.lastSequence, changes.last_sequence || 0);
    return true;
  }

  /** The counter's break now ({reason, since}), or null when it works. */
  onBreak(counterId) { return this.paused[counterId] || null; }

  /** The service's closure today ({reason}), or null when it is open. */
  closure(serviceId) { return this.closed[serviceId] || null; }

  /** The call its counter shows now, or null. */
  shown(counterId) { return this.serving.get(counterId) || null; }

  /** The call's ticket is what its counter shows now (a recall of it included): not
     completed, not replaced by another ticket. */
  standing(call) {
    const shown = this.shown(call.counter_id);
    return shown !== null && shown.ticket_id === call.ticket_id;
  }

  counters(agency) {
    return this.board.counters.filter((c) => !agency || c.agency_ids.includes(agency));
  }

  services(agency) {
    return this.board.services.filter((s) => !agency || s.agency_id === agency);
  }

  agencyName(agency) {
    const found = this.board.agencies.find((a) => a.id === agency);
    return found ? found.name : "";
  }
}

/** A call belongs on a board of `agency` (every call on a whole-site board). */
export function ofAgency(call, agency) {
  return !agency || call.agency_id === agency;
}
