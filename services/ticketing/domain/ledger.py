"""The public fairness ledger: from a day's events, for every ticket, when it entered each
line and was called, and every ticket called before it although it entered that line later,
with the reason. Pure: a fold over the events in sequence order; no personal data in, none out.

Anyone can check that nobody jumped the queue: a ticket called out of order either has a
reason the rules give (priority, a transfer or the next step of a visit keeping its issue
time, a no-show's return, an appointment, the fairness rule for regular tickets, a clerk's
call out of turn with the reason the clerk gave) or shows
up as "tanpa alasan tercatat" — which is exactly what a calo would need to hide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

REASONS = {
    "priority": "prioritas (lansia, disabilitas, ibu hamil)",
    "transfer": "dipindahkan dari layanan lain; antre menurut waktu ambil nomor pertamanya",
    "journey": "langkah berikutnya kunjungan multi-layanan; antre menurut waktu ambil nomor",
    "returned": "kembali setelah tidak hadir, ditempatkan dekat depan sesuai aturan",
    "appointment": "janji temu daring, antre sesuai jam slotnya",
    "fairness": "aturan keadilan: nomor reguler dipanggil setelah beberapa nomor prioritas "
    "atau setelah menunggu terlalu lama",
    "chosen": "dipanggil langsung oleh petugas",
    "unexplained": "tanpa alasan tercatat",
}


@dataclass
class LineVisit:
    """One stay of one ticket in one service's line."""

    ticket_id: str
    number: str
    service_id: str
    service_name: str
    priority: str
    channel: str
    issued_at: datetime
    entry: str  # issued | transfer | journey | returned | appointment
    entered_seq: int
    entered_at: datetime
    called_seq: int | None = None
    called_at: datetime | None = None
    counter_name: str | None = None
    call_reason: str | None = None  # a clerk called this number out of turn, and why
    left: str | None = None  # outcome of this stay
    left_seq: int | None = None
    overtaken_by: list[dict[str, Any]] = field(default_factory=list)


def _reason(me: LineVisit, other: LineVisit) -> str:
    if other.call_reason:
        return "chosen"
    if other.entry in ("transfer", "journey", "returned", "appointment"):
        return other.entry
    if other.priority == "priority" and me.priority == "regular":
        return "priority"
    if other.priority == "regular" and me.priority == "priority":
        return "fairness"
    return "unexplained"


def build(events: list[dict[str, Any]]) -> list[LineVisit]:
    """Every line visit of the day, with who overtook it; `events` are event JSON objects."""
    visits: list[LineVisit] = []
    current: dict[str, LineVisit] = {}
    first_issue: dict[str, tuple[datetime, str, str]] = {}
    seen: set[str] = set()
    for e in sorted(events, key=lambda e: e.get("sequence") or 0):
        if e["event_id"] in seen:
            continue
        seen.add(e["event_id"])
        tid, seq, at = e["ticket_id"], int(e.get("sequence") or 0), _time(e["occurred_at"])
        kind = e["event_type"]
        if kind == "ticket-issued":
            issued_at, priority, channel = first_issue.setdefault(
                tid, (at, e["priority"], e["channel"])
            )
            entry = e.get("reentry") or "issued"
            visit = LineVisit(
                tid,
                e["ticket_number"],
                e["service_id"],
                e["service_name"],
                priority,
                channel,
                issued_at,
                entry,
                seq,
                at,
            )
            visits.append(visit)
            current[tid] = visit
        elif kind == "ticket-called" and e.get("call_count") == 1:
            visit_or_none = current.get(tid)
            if visit_or_none is not None and visit_or_none.called_seq is None:
                visit_or_none.called_seq, visit_or_none.called_at = seq, at
                visit_or_none.counter_name = e.get("counter_name")
                visit_or_none.call_reason = e.get("call_reason")
        elif kind == "service-completed":
            visit_or_none = current.get(tid)
            if visit_or_none is not None:
                visit_or_none.left, visit_or_none.left_seq = e["outcome"], seq
            target = e.get("transferred_to_service_id")
            if target and tid in first_issue:
                issued_at, priority, channel = first_issue[tid]
                visit = LineVisit(
                    tid,
                    e["ticket_number"],
                    target,
                    target,
                    priority,
                    channel,
                    issued_at,
                    "journey" if e["outcome"] == "served" else "transfer",
                    seq,
                    at,
                )
                visits.append(visit)
                current[tid] = visit
    _note_overtakings(visits)
    return visits


def _note_overtakings(visits: list[LineVisit]) -> None:
    """On each visit, every ticket called before it although it entered that line later."""
    by_service: dict[str, list[LineVisit]] = {}
    for v in visits:
        by_service.setdefault(v.service_id, []).append(v)
    for line in by_service.values():
        for me in line:
            # while it waited in this line: until its first call here, or until it left
            until = me.called_seq if me.called_seq is not None else me.left_seq
            for other in line:
                if other is me or other.entered_seq <= me.entered_seq or other.called_seq is None:
                    continue
                if until is not None and other.called_seq > until:
                    continue
                reason = _reason(me, other)
                me.overtaken_by.append(
                    {
                        "number": other.number,
                        "reason": reason,
                        "explanation": REASONS[reason]
                        + (f": {other.call_reason}" if reason == "chosen" else ""),
                        "entered_at": other.entered_at,
                        "called_at": other.called_at,
                    }
                )


def _time(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
