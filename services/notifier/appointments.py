"""Booked appointments: each `appointment-booked` (read from its own partitions,
services/notifier/consumer.py) queues one `appointment` SMS — the slot on the site's clock,
the code, the kiosk's check-in window and the holder's cancel link — in one transaction;
the sender delivers it like every other SMS. No site cap applies: ticketing already allows
one booking per phone per service per day, within its per-phone hourly limit."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from services.notifier import messages, offsets, repository
from services.notifier.channels import Template, templates
from services.notifier.offsets import Position
from services.notifier.repository import Connection, Contact
from shared import local_time
from shared.events import AppointmentBooked


def appointment_sms(event: AppointmentBooked) -> str:
    """The SMS text of a booking, on the site's clock (the event's zone)."""
    return messages.appointment_text(
        site_name=event.site_name,
        service_name=event.service_name,
        code=event.code,
        slot_start=event.slot_start,
        check_in_from=event.check_in_from,
        check_in_until=event.check_in_until,
        zone=ZoneInfo(event.timezone),
        link=event.link,
    )


def appointment_template(event: AppointmentBooked) -> Template:
    """The same, as the WhatsApp template the system starts the conversation with."""
    zone = ZoneInfo(event.timezone)
    return templates.appointment(
        site_name=event.site_name,
        service_name=event.service_name,
        when=(
            f"{local_time.short_day(event.slot_start, zone)} "
            f"{local_time.clock(event.slot_start, zone)} "
            f"{local_time.zone_label(zone, event.slot_start)}"
        ),
        code=messages.spaced_code(event.code),
        window=(
            f"{local_time.clock(event.check_in_from, zone)}-"
            f"{local_time.clock(event.check_in_until, zone)}"
        ),
        link=event.link,
    )


async def handle_appointment(
    conn: Connection, event: AppointmentBooked, position: Position | None = None
) -> int | None:
    """Queue the booking's SMS; None when the event was a duplicate. `position`, the
    record's place in its partition, is stored as read in the same transaction."""
    async with conn.transaction():
        if position is not None:
            await offsets.store(conn, position)
        if not await repository.mark_processed(conn, event.event_id):
            return None
        holder = Contact(
            ticket_id=event.appointment_id,  # no ticket until check-in: the booking stands in
            site_id=event.site_id,
            site_name=event.site_name,
            phone=event.phone,
            ticket_number="-",
            service_name=event.service_name,
            issued_event_id=event.event_id,
        )
        queued = await repository.queue_message(
            conn,
            event_id=event.event_id,
            kind="appointment",
            contact=holder,
            text=appointment_sms(event),
            template=appointment_template(event),
        )
        if queued:
            await repository.wake_senders(conn)
        return int(queued)
