"""The AsyncAPI 3.0 document a service serves on `GET /asyncapi.json`: FastStream's own.

The subscribers' payloads are their handlers' argument types (the event models of
shared/events.py), so FastStream documents them itself. Two things it cannot see are
settled by the topic, in `_one_event_per_topic`:

- a subscriber of several topics with a handler per topic (the display's and the
  notifier's: one consumer and one fetch for the three topics) is documented with every
  handler's type on each of its topics, as a `oneOf`; the handlers' filters say which type
  a topic carries, and that is the one `event_type` names as its constant;
- a publisher that sends the outbox's bytes as they are (ticketing's relay) declares no
  type; its topic's event model is documented for it.

Each message also documents the headers the services set (`traceparent`, `x-dlq-reason`).
"""

from __future__ import annotations

from typing import Any, cast

import orjson
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from pydantic import BaseModel

from shared import topics
from shared.events import (
    EVENT_TYPES,
    AppointmentBooked,
    PhoneVerificationRequested,
    SiteStatusChanged,
)

_SCHEMAS = "#/components/schemas/"
_TOPIC_MODELS: dict[str, type[BaseModel]] = {
    **EVENT_TYPES,
    topics.PHONE_VERIFICATION_REQUESTED: PhoneVerificationRequested,
    topics.SITE_STATUS_CHANGED: SiteStatusChanged,
    topics.APPOINTMENT_BOOKED: AppointmentBooked,
}
_HEADERS_SCHEMA = {
    "type": "object",
    "properties": {
        "traceparent": {
            "type": "string",
            "description": "W3C trace context of the request that caused the event, "
            "when tracing is on",
        },
        topics.DLQ_REASON_HEADER: {
            "type": "string",
            "description": "On <topic>.dlq only: why the message could not be processed",
        },
    },
}


def asyncapi_document(broker: KafkaBroker, service: str, description: str = "") -> dict[str, Any]:
    """FastStream's AsyncAPI 3.0 document of the broker's publishers and subscribers, one
    event model per topic."""
    spec = AsyncAPI(
        broker,
        title=f"Antrian MPP {service}",
        version="1",
        description=description or f"The Kafka events {service} publishes or consumes",
        schema_version="3.0.0",
    ).to_specification()
    doc = cast(dict[str, Any], orjson.loads(spec.to_json()))
    _one_event_per_topic(doc)
    return doc


def _schema_name(ref: Any) -> str:
    return str(ref.get("$ref", "")).removeprefix(_SCHEMAS) if isinstance(ref, dict) else ""


def _topic_schema(schemas: dict[str, Any], payload: dict[str, Any], topic: str) -> str | None:
    """The payload's schema that is `topic`'s event: among a `oneOf`, the one whose
    `event_type` is the topic; else the topic's model, added to `schemas` if absent."""
    for option in payload.get("oneOf", [payload]):
        name = _schema_name(option)
        event_type = schemas.get(name, {}).get("properties", {}).get("event_type", {})
        if event_type.get("const") == topic:
            return name
    model = _TOPIC_MODELS.get(topic)
    if model is None:
        return None
    if model.__name__ not in schemas:
        schema = model.model_json_schema(ref_template=_SCHEMAS + "{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return model.__name__


def _one_event_per_topic(doc: dict[str, Any]) -> None:
    components = doc.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    messages: dict[str, Any] = components.setdefault("messages", {})
    for channel in doc.get("channels", {}).values():
        for ref in channel.get("messages", {}).values():
            message = messages.get(str(ref.get("$ref", "")).rsplit("/", 1)[-1])
            if message is None:
                continue
            name = _topic_schema(schemas, message.get("payload", {}), channel.get("address", ""))
            if name is None:
                continue
            message["payload"] = {"$ref": _SCHEMAS + name}
            message["headers"] = _HEADERS_SCHEMA
            message["name"] = name
            message["summary"] = str(schemas[name].get("description", "")).split("\n")[0]
    # a raw publisher's empty placeholder payloads, now that no message uses them
    for name in [n for n, schema in schemas.items() if schema == {} and n.endswith(":Payload")]:
        del schemas[name]
