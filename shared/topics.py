"""Kafka topic names: exactly those of CONTRACT.md, plus their dead-letter twins."""

from typing import Final

TICKET_ISSUED: Final = "ticket-issued"
TICKET_CALLED: Final = "ticket-called"
SERVICE_COMPLETED: Final = "service-completed"

EVENT_TOPICS: Final = (TICKET_ISSUED, TICKET_CALLED, SERVICE_COMPLETED)
"""The ticket events of CONTRACT.md: what boards and the notifier follow."""

PHONE_VERIFICATION_REQUESTED: Final = "phone-verification-requested"
"""Extension: a citizen booking online asked for a one-time code by SMS (notifier only)."""

APPOINTMENT_BOOKED: Final = "appointment-booked"
"""Extension: a citizen booked an online appointment; the notifier texts its code, the
check-in window and the cancel link (notifier only)."""

SITE_STATUS_CHANGED: Final = "site-status-changed"
"""A counter paused or resumed, a service closed or opened, a quota or a counter's services
changed (CONTRACT.md, Site status events): boards follow it, the notifier may ignore it."""

DLQ_SUFFIX: Final = ".dlq"
DLQ_REASON_HEADER: Final = "x-dlq-reason"


def dlq_topic(topic: str) -> str:
    """The dead-letter topic where unprocessable messages of `topic` go."""
    return f"{topic}{DLQ_SUFFIX}"


_OWN_TOPICS: Final = (
    *EVENT_TOPICS,
    SITE_STATUS_CHANGED,
    PHONE_VERIFICATION_REQUESTED,
    APPOINTMENT_BOOKED,
)
ALL_TOPICS: Final = _OWN_TOPICS + tuple(dlq_topic(t) for t in _OWN_TOPICS)
