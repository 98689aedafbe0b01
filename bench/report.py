"""The bench's report: the Markdown table (figure, value, ceiling, ratio), the targets
met or not, and the closing lines printed after a full run."""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str, str]


def f1(x: float | None) -> str:
    return "n/a" if x is None or x != x else f"{x:.1f}"


def three(d: dict[str, Any]) -> str:
    """p50 / p99 / max of a summary, in ms (without the unit)."""
    return f"{f1(d.get('p50_ms'))} / {f1(d.get('p99_ms'))} / {f1(d.get('max_ms'))}"


def issuance_rows(r: dict[str, Any]) -> list[Row]:
    iss, raw = r["issuance"], r["raw_issuance"]
    rows = [
        (
            "issuance, tickets/s at saturation (HTTP)",
            f"{iss['tickets_per_s']:.0f}",
            f"{raw['transactions_per_s']:.0f} tx/s (asyncpg, same writes)",
            f"{iss['tickets_per_s'] / raw['transactions_per_s']:.0%}",
        )
    ]
    for share, lv in iss["open_loop"].items():
        rows.append(
            (
                f"issuance p50 / p99 at {share} % ({lv['rate_per_s']:.0f}/s, open loop)",
                f"{f1(lv['p50_ms'])} / {f1(lv['p99_ms'])} ms",
                "",
                "",
            )
        )
    return rows


def board_rows(r: dict[str, Any]) -> list[Row]:
    bare = r["bare_kafka"]
    rows = []
    for rate, b in r["call_to_board"].items():
        k = bare["rates"].get(rate, {})
        rows.append(
            (
                f"call→board p50 / p99 / max at {rate} calls/s",
                f"{three(b)} ms",
                f"{three(k)} ms (bare aiokafka, fetch_max_wait {bare['fetch_max_wait_ms']} ms)",
                f"p99 {b['p99_ms'] / k['p99_ms']:.1f}×" if k.get("p99_ms") else "",
            )
        )
    for rate, b in r["call_to_board"].items():
        k = bare["rates"].get(rate, {})
        c, t = b["commit_to_board"], b["sent_to_commit"]
        rows.append(
            (
                f"  of which committed → on the board (relay, broker, display) at {rate}/s; "
                f"sent → committed (ticketing) p50 / p99 {f1(t['p50_ms'])} / {f1(t['p99_ms'])} ms",
                f"{three(c)} ms",
                f"{three(k)} ms",
                f"p99 {c['p99_ms'] / k['p99_ms']:.1f}×" if k.get("p99_ms") else "",
            )
        )
    return rows


def fanout_rows(r: dict[str, Any]) -> list[Row]:
    rows = []
    for n, fo in r["fanout"].items():
        d, b = fo["display"], fo["bare_asyncio"]
        rows.append(
            (
                f"fan-out: {int(n):,} board clients, call sent → each has it, p50 / p99 / max "
                f"(display CPU {fo['display_cpu_us_per_client_per_call']:.0f} µs/client/call)",
                f"{three(d)} ms",
                f"{three(b)} ms (bare asyncio server)",
                f"p99 {d['p99_ms'] / b['p99_ms']:.1f}×" if b["p99_ms"] else "",
            )
        )
    return rows


def notifier_rows(r: dict[str, Any]) -> list[Row]:
    n = r["notifier"]
    k100 = r["bare_kafka"]["rates"].get("10", {})
    return [
        (
            f"notifier: issued → SMS at gateway p50 / p99 / max ({n['latency']['rate_per_s']:g}/s)",
            f"{three(n['latency'])} ms",
            f"{f1(k100.get('p50_ms'))} / {f1(k100.get('p99_ms'))} ms (bare aiokafka, 10/s)",
            "",
        ),
        (
            f"notifier: SMS/s draining a {n['saturation']['backlog']}-event backlog",
            f"{n['saturation']['sms_per_s']:.0f}",
            f"{n['gateway_ceiling_per_s']:.0f} req/s (gateway, bare client ×8)",
            "the gateway is not the bound",
        ),
    ]


def footprint_rows(r: dict[str, Any]) -> list[Row]:
    fp = r["footprint"]
    rows: list[Row] = [
        (
            f"RSS {s}: idle / peak under load (CPU idle)",
            f"{fp['idle_mb'][s]:.0f} / {fp['peak_mb'][s]:.0f} MB "
            f"({fp['idle_cpu_share'][s]:.1%} of a core)",
            "",
            "",
        )
        for s in ("ticketing", "notifier", "display")
    ]
    rows.append(("`make run` to all healthy", f"{fp['startup_s']:.1f} s", "", ""))
    return rows


def many_sites_rows(m: dict[str, Any]) -> list[Row]:
    return [
        (
            f"many sites ({m['sites']}×{m['counters_per_site']} counters): `make run` to healthy",
            f"{m['startup_s']:.1f} s",
            "",
            "",
        ),
        (
            f"many sites: issuance p50 / p99 ({m['issue_rate_per_s']:.0f}/s + "
            f"{m['call_rate_per_s']:.0f} calls/s)",
            f"{f1(m['issuance']['p50_ms'])} / {f1(m['issuance']['p99_ms'])} ms",
            "",
            "",
        ),
        ("many sites: call→board p50 / p99 / max", f"{three(m['call_to_board'])} ms", "", ""),
        (
            "many sites: notifier issued → SMS p50 / p99",
            f"{f1(m['notifier']['p50_ms'])} / {f1(m['notifier']['p99_ms'])} ms",
            "",
            "",
        ),
        (
            "many sites: notifier lag max / at end (events not read: the topics' ends minus "
            "notifier.consumed_offsets); all calls on their boards and SMS sent, after load",
            f"{m['notifier_lag_max']} / {m['notifier_lag_final']}; "
            f"{m['drained_after_load_s']:.1f} s",
            "",
            "",
        ),
        (
            "many sites: RSS ticketing / notifier / display at peak",
            " / ".join(f"{m['peak_mb'][s]:.0f}" for s in ("ticketing", "notifier", "display"))
            + " MB",
            "",
            "",
        ),
    ]


def build_rows(r: dict[str, Any]) -> list[Row]:
    rows = issuance_rows(r) + board_rows(r) + fanout_rows(r) + notifier_rows(r)
    rows += footprint_rows(r)
    m = r.get("many_sites")
    if m:
        rows += many_sites_rows(m)
    return rows


def table(rows: list[Row]) -> str:
    out = ["| figure | value | ceiling | ratio |", "| --- | --- | --- | --- |"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(out)


def targets(r: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    out: list[tuple[str, bool | None, str]] = []
    iss, raw = r["issuance"], r["raw_issuance"]
    ratio = iss["tickets_per_s"] / raw["transactions_per_s"]
    out.append(("issuance ≥ 60 % of the raw ceiling", ratio >= 0.6, f"{ratio:.0%}"))
    p99 = iss["open_loop"]["50"]["p99_ms"]
    out.append(("issuance p99 ≤ 50 ms at 50 % of saturation", p99 <= 50, f"{p99:.1f} ms"))
    b = r["call_to_board"].get("100")
    k = r["bare_kafka"]["rates"].get("100")
    if b and k:
        out.append(("call→board p50 ≤ 15 ms at 100/s", b["p50_ms"] <= 15, f"{b['p50_ms']:.1f} ms"))
        out.append(("call→board p99 ≤ 50 ms at 100/s", b["p99_ms"] <= 50, f"{b['p99_ms']:.1f} ms"))
        out.append(
            (
                "call→board p99 ≤ 3× bare broker p99",
                b["p99_ms"] <= 3 * k["p99_ms"],
                f"{b['p99_ms'] / k['p99_ms']:.1f}×",
            )
        )
    fo = r["fanout"].get("5000")
    out.append(
        (
            "5,000 board clients get a call within 250 ms p99",
            None if fo is None else fo["display"]["p99_ms"] <= 250,
            "not run (--quick)" if fo is None else f"{fo['display']['p99_ms']:.1f} ms",
        )
    )
    n = r["notifier"]["latency"]["p99_ms"]
    out.append(("notifier p99 ≤ 100 ms event → gateway", n <= 100, f"{n:.1f} ms"))
    for s, mb in r["footprint"]["idle_mb"].items():
        out.append((f"{s} ≤ 120 MB RSS idle", mb <= 120, f"{mb:.0f} MB"))
    return out


def print_report(result: dict[str, Any]) -> None:
    """The table, the targets, what disturbed the run, and the machine's load."""
    print(table(result["rows"]))
    print()
    for t in result["targets"]:
        mark = {True: "met", False: "NOT met", None: "n/a"}[t["met"]]
        print(f"- {t['target']}: {t['value']} — {mark}")
    disturbed = result.get("restarted", []) + result.get("many_sites", {}).get("restarted", [])
    if disturbed:
        print(f"\nWARNING: restarted during the run (figures disturbed): {disturbed}")
    print(
        f"\nload average {tuple(round(x, 2) for x in result['loadavg_start'])} at start, "
        f"{tuple(round(x, 2) for x in result['loadavg_end'])} at end "
        f"({result['machine']['cpus']} CPUs, {result['machine']['cpu_model']})"
    )
