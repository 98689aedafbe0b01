"""The holder's key and the kiosk check's reading of a body, as pure functions."""

from __future__ import annotations

import base64
import uuid

from services.ticketing.api.kiosks import kiosk_channel
from services.ticketing.kiosks import Caller, bearer
from services.ticketing.ticket_keys import is_holder, ticket_key

SECRET = "rahasia-token-uji-yang-cukup-panjang-32"


def test_a_key_is_the_tickets_own_and_the_secrets() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    key = ticket_key(a, SECRET)
    assert key == ticket_key(str(a), SECRET)  # derived: the same for a replay
    assert len(base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))) * 8 >= 128
    assert key != ticket_key(b, SECRET) and key != ticket_key(a, SECRET + "x")
    assert is_holder(a, key, SECRET)
    assert not is_holder(b, key, SECRET)
    for wrong in ("", key[:-1], key + "A", "é" * 32, str(a)):
        assert not is_holder(a, wrong, SECRET), wrong


def test_every_body_but_an_online_one_is_a_kiosk_call() -> None:
    assert not kiosk_channel(b'{"service_id": "a", "channel": "online"}')
    for body in (
        b"",
        b"{not json",
        b"[]",
        b'"online"',
        b'{"service_id": "a"}',
        b'{"channel": "kiosk"}',
        b'{"channel": "mobile"}',
        b'{"channel": "fax"}',
        b'{"channel": ["online"]}',
    ):
        assert kiosk_channel(body), body


def test_who_asks() -> None:
    assert bearer("Bearer kiosk_abc") == "kiosk_abc"
    assert bearer("bearer  kiosk_abc ") == "kiosk_abc"
    assert (
        bearer("Basic dXNlcjpwdw==") is None and bearer(None) is None and bearer("Bearer ") is None
    )
    kiosk, other = uuid.uuid4(), uuid.uuid4()
    same = Caller(kiosk, "10.0.0.1").requester(SECRET)
    assert same == Caller(kiosk, "10.0.0.2").requester(SECRET)  # a kiosk is itself anywhere
    assert same != Caller(other, "10.0.0.1").requester(SECRET)
    assert Caller(None, "10.0.0.1").requester(SECRET) != Caller(None, "10.0.0.2").requester(SECRET)
    assert "10.0.0.1" not in str(Caller(None, "10.0.0.1").requester(SECRET))
    assert Caller(None, None).requester(SECRET) is None
