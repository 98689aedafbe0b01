"""The channel layer's pure parts: commands, signatures, Graph API payloads and refusals,
webhook parsing (Meta and Fonnte), status order, templates and the channel settings."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.notifier.channels import ChannelBusy, Outgoing, Undeliverable, fonnte, templates
from services.notifier.channels.whatsapp import (
    parse_webhook,
    payload_of,
    refusal,
    signature_ok,
)
from services.notifier.deliveries import moves_forward
from services.notifier.replies import Command, parse_command
from services.notifier.settings import NotifierSettings
from services.notifier.site_rules import SiteRules
from shared.sites import SITES_DIR


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("BATAL", Command("BATAL")),
        ("  batal ", Command("BATAL")),
        ("Batal A-012", Command("BATAL", "A-012")),
        ("batal a012", Command("BATAL", "A-012")),
        ("BATAL: B-105", Command("BATAL", "B-105")),
        ("status", Command("STATUS")),
        ("Status?", Command("STATUS")),
        ("batalkan", Command("HELP")),
        ("halo, mau tanya", Command("HELP")),
        ("", Command("HELP")),
    ],
)
def test_commands(text: str, command: Command) -> None:
    assert parse_command(text) == command


def _sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_signature_is_over_the_raw_body_with_the_app_secret() -> None:
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    assert signature_ok("rahasia", body, _sign("rahasia", body))
    assert not signature_ok("rahasia", body + b" ", _sign("rahasia", body))
    assert not signature_ok("rahasia", body, _sign("lain", body))
    assert not signature_ok("rahasia", body, _sign("rahasia", body).replace("sha256=", "sha1="))
    assert not signature_ok("rahasia", body, "sha256=")
    assert not signature_ok("rahasia", body, "")


def test_template_payload_as_meta_documents_it() -> None:
    template = templates.called(
        site_name="Mal Pelayanan Publik Kabupaten Balangan",
        ticket_number="A-012",
        counter_name="Loket 3",
        call_count=1,
    )
    message = Outgoing(
        to="+6281234567890", kind="called", text="…", event_id="e", template=template
    )
    payload = payload_of(message)
    assert payload == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "template",
        "template": {
            "name": "antrian_dipanggil",
            "language": {"code": "id"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "MPP Kab. Balangan"},
                        {"type": "text", "text": "A-012"},
                        {"type": "text", "text": "Loket 3"},
                    ],
                }
            ],
        },
    }
    assert templates.render(template) == (
        "MPP Kab. Balangan: Nomor A-012 dipanggil ke Loket 3. Silakan menuju loket."
    )


def test_a_reply_is_text_and_a_code_has_the_copy_code_button() -> None:
    reply = payload_of(Outgoing(to="+6281234567890", kind="reply", text="Halo", event_id="e"))
    assert reply["type"] == "text" and reply["text"] == {"preview_url": False, "body": "Halo"}
    code = Outgoing(
        to="+6281234567890",
        kind="verification",
        text="…",
        event_id="e",
        template=templates.verification(code="482913"),
    )
    components = payload_of(code)["template"]["components"]
    assert components[1] == {
        "type": "button",
        "sub_type": "url",
        "index": "0",
        "parameters": [{"type": "text", "text": "482913"}],
    }


def _error(code: int) -> dict[str, Any]:
    return {"error": {"message": "x", "type": "OAuthException", "code": code}}


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, _error(131026), Undeliverable),  # message undeliverable
        (400, _error(131047), Undeliverable),  # re-engagement: more than 24 h
        (404, _error(132001), Undeliverable),  # template does not exist
        (401, _error(190), Undeliverable),  # token expired: SMS takes over meanwhile
        (400, _error(130429), ChannelBusy),  # rate limit
        (400, _error(131056), ChannelBusy),  # pair rate limit
        (429, None, ChannelBusy),
        (500, _error(131000), ChannelBusy),
        (503, "not json", ChannelBusy),
    ],
)
def test_graph_api_refusals(status: int, body: Any, kind: type[Exception]) -> None:
    assert isinstance(refusal(status, body), kind)


def test_meta_webhook_statuses_and_messages() -> None:
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "statuses": [
                                {"id": "wamid.A", "status": "delivered"},
                                {
                                    "id": "wamid.B",
                                    "status": "failed",
                                    "errors": [{"code": 131026, "title": "Undeliverable"}],
                                },
                                {"id": "wamid.C", "status": "deleted"},  # not ours to follow
                            ],
                            "messages": [
                                {
                                    "from": "62812",
                                    "id": "wamid.I",
                                    "type": "text",
                                    "text": {"body": "BATAL"},
                                },
                                {"from": "62812", "id": "wamid.J", "type": "image"},
                            ],
                        }
                    }
                ]
            }
        ],
    }
    statuses, inbound = parse_webhook(body)
    assert [(s.provider_message_id, s.status, s.error) for s in statuses] == [
        ("wamid.A", "delivered", None),
        ("wamid.B", "failed", "131026 Undeliverable"),
    ]
    assert [(m.provider_message_id, m.body) for m in inbound] == [
        ("wamid.I", "BATAL"),
        ("wamid.J", ""),
    ]
    assert parse_webhook([1, 2]) == ([], [])
    assert parse_webhook({"entry": [None, {"changes": None}]}) == ([], [])


def test_fonnte_webhooks() -> None:
    statuses, _ = fonnte.parse_webhook({"id": "80367170", "status": "invalid", "state": ""})
    assert [(s.status, s.error) for s in statuses] == [("failed", "invalid")]
    statuses, _ = fonnte.parse_webhook({"id": "1", "status": "sent", "state": "read"})
    assert statuses[0].status == "read"
    message = {"device": "62811", "sender": "62812", "message": "STATUS"}
    _, first = fonnte.parse_webhook(message)
    _, again = fonnte.parse_webhook(dict(message))
    assert first == again and first[0].body == "STATUS"  # no inboxid: the same id twice
    _, with_id = fonnte.parse_webhook({**message, "inboxid": "77"})
    assert with_id[0].provider_message_id == "77"


def test_statuses_only_move_forward() -> None:
    assert moves_forward("accepted", "sent") and moves_forward("sent", "read")
    assert not moves_forward("read", "delivered") and not moves_forward("delivered", "sent")
    assert moves_forward("sent", "failed") and not moves_forward("failed", "sent")
    assert not moves_forward("timeout", "sent")


def test_every_template_call_fills_exactly_its_parameters() -> None:
    calls = [
        templates.issued(
            site_name="MPP Kota Uji",
            ticket_number="A-001",
            service_name="KTP-el\nbaru",  # no newline reaches Meta
            waiting_ahead=4,
            estimated_wait_s=900,
            link="https://mpp.test/t/1",
            quota_runs_out_at="14:30",
        ),
        templates.near_turn(site_name="MPP Kota Uji", ticket_number="A-001", waiting_ahead=0),
        templates.called(site_name="x", ticket_number="A-1", counter_name="L 1", call_count=2),
        templates.survey(site_name="x", service_name="KK", link="https://mpp.test/s"),
        templates.verification(code="123456"),
        templates.appointment(
            site_name="MPP Kota Uji",
            service_name="KTP-el",
            when="Kamis 3 Des 09.00 WITA",
            code="7KQ2-M4AB",
            window="08.30-09.30",
            link="https://mpp.test/booking/uji#7KQ2M4AB",
        ),
    ]
    assert {c.name for c in calls} == set(templates.TEXTS) - {"antrian_dipanggil"}
    for call in calls:
        assert len(call.values) == templates.parameter_count(call.name)
        assert all("\n" not in v and v for v in call.values)
    assert "4 orang di depan Anda, perkiraan 15 menit. Kuota" in templates.render(calls[0])


def test_channel_settings() -> None:
    with pytest.raises(ValidationError, match="WHATSAPP_TOKEN"):
        NotifierSettings(_env_file=None, message_channels="whatsapp,sms")
    with pytest.raises(ValidationError, match="unknown"):
        NotifierSettings(_env_file=None, message_channels="telegram")
    settings = NotifierSettings(
        _env_file=None,
        message_channels=" fonnte , sms",
        fonnte_token="t",
        fonnte_webhook_secret="s",
    )
    assert settings.channels == ("fonnte", "sms")
    assert NotifierSettings(_env_file=None).channels == ("sms",)


def test_a_sites_channel_order_limited_to_the_deployments_channels(tmp_path: Path) -> None:
    source = (SITES_DIR / "lahat.toml").read_text()
    (tmp_path / "lahat.toml").write_text(
        source.replace("[site]\n", '[site]\nmessages = { channels = ["whatsapp", "sms"] }\n')
    )
    rules = SiteRules(tmp_path, "production")
    assert rules.channels_of("lahat", ("whatsapp", "sms")) == ("whatsapp", "sms")
    assert rules.channels_of("lahat", ("sms", "whatsapp")) == ("whatsapp", "sms")
    assert rules.channels_of("lahat", ("fonnte", "sms")) == ("sms",)  # no WhatsApp set up
    assert rules.channels_of("lahat", ("fonnte",)) == ("fonnte",)  # none usable: deployment's
    assert rules.channels_of("elsewhere", ("fonnte", "sms")) == ("fonnte", "sms")
