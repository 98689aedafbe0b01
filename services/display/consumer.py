"""The Kafka side: the three ticket topics and `site-status-changed`, read by every display
replica in full.

No consumer group: each replica is assigned every partition and follows them live. On
start it rebuilds today's boards from the topics themselves, read to their end before
this subscriber starts (services/display/catch_up.py: without FastStream's per-message
pipeline, ~4x faster), and this subscriber reads on from where that read stopped (from
the earliest retained offset when it got nowhere; events of earlier days are folded
away by the board). With no group there is nothing to commit (AckPolicy.ACK_FIRST: aiokafka's
group-less consumer never commits). The board lives in memory, so an event that
fails to apply is logged and skipped rather than retried forever; a record that
cannot even be parsed goes to `<topic>.dlq` and the consumer goes on (both in
shared/consuming.py, which also counts every outcome).
"""

from __future__ import annotations

from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from services.display.board import Outcome
from services.display.catch_up import BOARD_TOPICS
from services.display.service import BoardService
from shared import topics
from shared.consuming import decode_event, from_topic
from shared.events import ServiceCompleted, SiteStatusChanged, TicketCalled, TicketIssued
from shared.kafka import ConsumedMessage


def subscribe(broker: KafkaBroker, boards: BoardService, fetch_max_wait_ms: int = 100) -> None:
    """One group-less subscriber for the three topics, so one consumer and one fetch, with
    a handler per topic.

    One fetch, not one per topic: a call-next records a ticket-called and the previous
    ticket's service-completed together, and a single fetch brings both. It also halves
    what a broker whose fetch cost grows with the partition's length (the embedded one:
    every fetch that returns records lists the partition's stored batches) spends on
    the display: measured 52 % → 39 % of a core at 35 events/s on 10,000-batch
    partitions (docs/performance.md)."""
    subscriber = broker.subscriber(
        *BOARD_TOPICS,
        group_id=None,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK_FIRST,
        fetch_max_wait_ms=fetch_max_wait_ms,
        decoder=decode_event,
        no_reply=True,
        title="boards",  # its AsyncAPI channels: boards:<topic>
    )

    @subscriber(filter=from_topic(topics.TICKET_ISSUED))
    async def on_ticket_issued(event: TicketIssued, message: ConsumedMessage) -> Outcome:
        """A new ticket: the waiting count of its service."""
        return boards.fold(event, message.body)

    @subscriber(filter=from_topic(topics.TICKET_CALLED))
    async def on_ticket_called(event: TicketCalled, message: ConsumedMessage) -> Outcome:
        """A call (or recall): shown at its counter and announced."""
        return boards.fold(event, message.body)

    @subscriber(filter=from_topic(topics.SERVICE_COMPLETED))
    async def on_service_completed(event: ServiceCompleted, message: ConsumedMessage) -> Outcome:
        """A ticket left the queue: no longer shown as being served."""
        return boards.fold(event, message.body)

    @subscriber(filter=from_topic(topics.SITE_STATUS_CHANGED))
    async def on_site_status_changed(event: SiteStatusChanged, message: ConsumedMessage) -> Outcome:
        """A counter's break or a service's closure: shown on the board within a second."""
        return boards.fold(event, message.body)
