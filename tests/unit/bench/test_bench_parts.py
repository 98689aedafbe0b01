"""The bench's pure parts: percentiles, reading ticket-called frames off an SSE stream as
they arrive in arbitrary chunks, matching SMS to tickets, and the report's targets."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from bench.board import CallRecorder
from bench.client import Gateway, SseClient
from bench.measure import pct, summary_ms
from bench.notifier import issued_sms_by_ticket
from bench.report import build_rows, table, targets

T1 = "11111111-1111-1111-1111-111111111111"
T2 = "22222222-2222-2222-2222-222222222222"


def test_percentiles_are_ranks_of_the_sorted_values() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 100..1
    assert pct(values, 50) == 50.0
    assert pct(values, 0) == 1.0
    assert pct([3.0, 1.0, 2.0], 100) == 3.0
    assert math.isnan(pct([], 50))
    assert summary_ms([0.002, 0.001]) == {"n": 2, "p50_ms": 2.0, "p99_ms": 2.0, "max_ms": 2.0}


def test_call_recorder_keeps_the_first_arrival_of_each_called_ticket_across_chunks() -> None:
    client = SseClient("http://127.0.0.1:1", "/")
    recorder = CallRecorder(client)
    called = (
        'event: ticket-called\ndata: {"ticket_id":"%s","occurred_at":"2026-12-01T01:00:00Z"}\n\n'
    )
    stream = (
        b'event: board-snapshot\ndata: {"ticket_id":"'
        + T2.encode()
        + b'"}\n\n'
        + (called % T1).encode()
        + (called % T1).encode()  # sent again later: the first arrival counts
    )
    assert client.on_data is not None
    for i in range(0, len(stream), 7):  # chunks that cut frames anywhere
        client.on_data(stream[i : i + 7], float(i))
    assert set(recorder.arrived) == {T1}  # the snapshot is not a call
    first_end = stream.index(b"\n\n", stream.index(T1.encode())) + 2
    assert first_end - 8 < recorder.arrived[T1] < first_end  # the chunk that ended it
    assert recorder.occurred[T1] == datetime(2026, 12, 1, 1, tzinfo=UTC).timestamp()


def test_issued_sms_are_matched_to_their_ticket_from_the_link() -> None:
    gateway = Gateway(0)
    gateway.received += [
        (1.0, {"kind": "called", "text": f"http://x/t/{T1}"}),
        (2.0, {"kind": "issued", "text": f"Nomor A-001 http://x/t/{T1}"}),
        (3.0, {"kind": "issued", "text": f"again http://x/t/{T1}"}),
        (4.0, {"kind": "issued", "text": f"http://x/t/{T2}"}),
    ]
    assert issued_sms_by_ticket(gateway) == {T1: 2.0, T2: 4.0}
    assert issued_sms_by_ticket(gateway, since=3) == {T2: 4.0}


def summary(p50: float, p99: float) -> dict[str, float]:
    return {"n": 10, "p50_ms": p50, "p99_ms": p99, "max_ms": p99 * 2}


def test_report_rows_and_targets_of_a_quick_run() -> None:
    board = {"sent_to_commit": summary(2, 4), "commit_to_board": summary(3, 6), **summary(5, 40)}
    result = {
        "issuance": {
            "tickets_per_s": 700.0,
            "open_loop": {"50": {"rate_per_s": 350, **summary(4, 60)}},
        },
        "raw_issuance": {"transactions_per_s": 1000.0},
        "bare_kafka": {
            "fetch_max_wait_ms": 5,
            "rates": {"10": summary(1, 2), "100": summary(1, 10)},
        },
        "call_to_board": {"10": board, "100": board},
        "fanout": {
            "100": {
                "display": summary(9, 30),
                "bare_asyncio": summary(1, 3),
                "display_cpu_us_per_client_per_call": 40.0,
            }
        },
        "notifier": {
            "latency": {"rate_per_s": 20, **summary(30, 90)},
            "saturation": {"backlog": 300, "sms_per_s": 250.0},
            "gateway_ceiling_per_s": 3000.0,
        },
        "footprint": {
            "startup_s": 6.0,
            "idle_mb": {"ticketing": 100.0, "notifier": 130.0, "display": 80.0},
            "peak_mb": {"ticketing": 110.0, "notifier": 140.0, "display": 90.0},
            "idle_cpu_share": {"ticketing": 0.0, "notifier": 0.0, "display": 0.0},
        },
    }
    rows = build_rows(result)
    assert rows[0] == (
        "issuance, tickets/s at saturation (HTTP)",
        "700",
        "1000 tx/s (asyncpg, same writes)",
        "70%",
    )
    assert rows[3][:2] == ("call→board p50 / p99 / max at 100 calls/s", "5.0 / 40.0 / 80.0 ms")
    assert rows[3][3] == "p99 4.0×"
    assert table(rows).count("\n") == len(rows) + 1
    met = {t: (ok, value) for t, ok, value in targets(result)}
    assert met["issuance ≥ 60 % of the raw ceiling"] == (True, "70%")
    assert met["issuance p99 ≤ 50 ms at 50 % of saturation"] == (False, "60.0 ms")
    assert met["5,000 board clients get a call within 250 ms p99"] == (None, "not run (--quick)")
    assert met["notifier ≤ 120 MB RSS idle"] == (False, "130 MB")
