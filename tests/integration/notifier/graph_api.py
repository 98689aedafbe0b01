"""Stand-ins for Meta's WhatsApp Cloud API and Fonnte, served on loopback ports: they check
requests the way the providers document them, record each one (with the time it arrived),
and answer as their references show — or as a test scripts them. The notifier's webhooks are
fed by `webhook_body` / `signed`, with signatures computed from a test app secret."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.notifier.channels.templates import TEXTS, parameter_count
from shared.embedded import free_port

TOKEN = "EAAG-uji-token"
PHONE_NUMBER_ID = "106540352242922"
APP_SECRET = "rahasia-aplikasi-meta-uji"
VERIFY_TOKEN = "token-verifikasi-uji"
FONNTE_TOKEN = "fonnte-uji-token"
FONNTE_SECRET = "rahasia-webhook-fonnte-uji"

Step = str | int | tuple[int, int]
"""'ok'; 'hang' (no answer for 8 s); an HTTP status; or (HTTP status, Graph error code)."""

_ids = itertools.count(1)


def graph_error(status: int, code: int) -> JSONResponse:
    """An error answer as the Graph API gives it."""
    return JSONResponse(
        {
            "error": {
                "message": f"(#{code}) uji",
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": "uji"},
                "fbtrace_id": "AbCdEf",
            }
        },
        status_code=status,
    )


def _check_template(template: Any) -> str | None:
    """What Meta would refuse in a template message (code 132000/132001), or None."""
    if not isinstance(template, dict) or template.get("language", {}).get("code") != "id":
        return "language"
    name = template.get("name")
    if name not in TEXTS:
        return "132001"
    body = [c for c in template.get("components", []) if c.get("type") == "body"]
    params = body[0]["parameters"] if body else []
    if len(params) != parameter_count(name) or any(
        p.get("type") != "text" or not p.get("text") or "\n" in p["text"] for p in params
    ):
        return "132000"
    return None


async def wait_until(
    changed: asyncio.Event, predicate: Callable[[], bool], timeout_s: float, what: str
) -> None:
    """Until `predicate()` holds, checked each time `changed` is set; AssertionError naming
    `what` after `timeout_s`."""

    async def until() -> None:
        while not predicate():
            changed.clear()
            await changed.wait()

    try:
        await asyncio.wait_for(until(), timeout_s)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


@dataclass
class Provider:
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: dict[str, list[Step]] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def to(self, phone: str) -> list[dict[str, Any]]:
        """Requests the provider accepted for `phone` ('+62…')."""
        digits = phone.lstrip("+")
        return [r for r in self.requests if r["to"] == digits and r["accepted"]]

    def tried(self, phone: str) -> list[dict[str, Any]]:
        digits = phone.lstrip("+")
        return [r for r in self.requests if r["to"] == digits]

    async def wait_for(
        self, predicate: Callable[[], bool], timeout_s: float = 20.0, what: str = ""
    ) -> None:
        await wait_until(self.changed, predicate, timeout_s, f"{what}: {self.requests}")

    def _record(self, to: str, body: dict[str, Any]) -> tuple[dict[str, Any], Step]:
        steps = self.script.get(to, [])
        step = steps.pop(0) if steps else "ok"
        record = {"to": to, "body": body, "at": time.time(), "accepted": step == "ok"}
        self.requests.append(record)
        self.changed.set()
        return record, step


def meta_app(meta: Provider) -> FastAPI:
    app = FastAPI()

    @app.post("/v21.0/{phone_number_id}/messages", response_model=None)
    async def messages(phone_number_id: str, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return graph_error(401, 190)  # invalid OAuth access token
        if phone_number_id != PHONE_NUMBER_ID:
            return graph_error(400, 100)
        body = await request.json()
        if body.get("messaging_product") != "whatsapp" or not str(body.get("to")).isdigit():
            return graph_error(400, 100)
        if body.get("type") == "template" and (refused := _check_template(body["template"])):
            return graph_error(400, int(refused) if refused.isdigit() else 100)
        record, step = meta._record(str(body["to"]), body)
        if step == "hang":
            await asyncio.sleep(8)
        if isinstance(step, tuple):
            return graph_error(*step)
        if isinstance(step, int):
            return JSONResponse({"error": {"message": "uji", "code": 1}}, status_code=step)
        wamid = f"wamid.HBgLNjI4{next(_ids):010d}"
        record["wamid"] = wamid
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
            "messages": [{"id": wamid}],
        }
        if body.get("type") == "template":
            answer["messages"][0]["message_status"] = "accepted"
        return JSONResponse(answer)

    return app


def fonnte_app(fonnte: Provider) -> FastAPI:
    app = FastAPI()

    @app.post("/send", response_model=None)
    async def send(request: Request) -> JSONResponse:
        if request.headers.get("authorization") != FONNTE_TOKEN:
            return JSONResponse({"reason": "token invalid", "status": False})
        form = dict(await request.form())
        target = str(form.get("target", ""))
        record, step = fonnte._record(target, form)
        if isinstance(step, int):
            return JSONResponse({"reason": "server busy"}, status_code=step)
        if step == "invalid":
            record["accepted"] = False
            return JSONResponse({"reason": "invalid target", "status": False})
        provider_id = str(next(_ids))
        record["id"] = provider_id
        return JSONResponse(
            {
                "detail": "success! message in queue",
                "id": [provider_id],
                "process": "pending",
                "status": True,
                "target": [target],
            }
        )

    return app


@asynccontextmanager
async def serving(app: FastAPI, provider: Provider, path: str) -> AsyncIterator[Provider]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "provider stand-in did not start"
        await asyncio.sleep(0.02)
    provider.url = f"http://127.0.0.1:{port}{path}"
    try:
        yield provider
    finally:
        server.should_exit = True
        await task


# -- webhooks, as Meta posts them ---------------------------------------------------------


def webhook_body(
    *, statuses: Sequence[dict[str, Any]] = (), messages: Sequence[dict[str, Any]] = ()
) -> bytes:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100000000", "phone_number_id": PHONE_NUMBER_ID},
    }
    if statuses:
        value["statuses"] = list(statuses)
    if messages:
        value["contacts"] = [{"profile": {"name": "Warga"}, "wa_id": messages[0]["from"]}]
        value["messages"] = list(messages)
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }
    return orjson.dumps(body)


def status(wamid: str, state: str, phone: str, error_code: int | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": wamid,
        "status": state,
        "timestamp": str(int(time.time())),
        "recipient_id": phone.lstrip("+"),
    }
    if error_code is not None:
        item["errors"] = [
            {
                "code": error_code,
                "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": {"details": "uji"},
            }
        ]
    return item


def text_message(phone: str, text: str, message_id: str | None = None) -> dict[str, Any]:
    return {
        "from": phone.lstrip("+"),
        "id": message_id or f"wamid.IN{next(_ids):012d}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}
