"""Figures of a simulated day, as a dict (for JSON) and as Markdown tables (for people)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from scripts.simulator.engine import Result, Ticket
from services.ticketing.domain.forecast import format_hhmm
from shared.sites import ServiceConfig


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (q in 0..1)."""
    s = sorted(values)
    if not s:
        return math.nan
    k = (len(s) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def error_stats(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """Estimate vs actual (seconds): count, MAE, median and p90 absolute error, bias (mean of
    estimate − actual: negative means citizens were told too little), all in minutes."""
    if not pairs:
        return {
            "n": 0,
            "mae_min": None,
            "median_ae_min": None,
            "p90_ae_min": None,
            "bias_min": None,
        }
    signed = [(e - a) / 60 for e, a in pairs]
    absolute = [abs(x) for x in signed]
    return {
        "n": len(pairs),
        "mae_min": round(statistics.fmean(absolute), 2),
        "median_ae_min": round(statistics.median(absolute), 2),
        "p90_ae_min": round(percentile(absolute, 0.9), 2),
        "bias_min": round(statistics.fmean(signed), 2),
    }


def _pairs(tickets: Sequence[Ticket], alt: bool = False) -> list[tuple[float, float]]:
    out = []
    for t in tickets:
        estimate = t.alt_estimate_s if alt else t.estimate_s
        if estimate is not None and t.wait_s is not None:
            out.append((float(estimate), t.wait_s))
    return out


def _hhmm(moment: datetime | time | None) -> str | None:
    if moment is None:
        return None
    return format_hhmm(moment.time() if isinstance(moment, datetime) else moment)


def _wait_stats(waits: Sequence[float]) -> dict[str, Any]:
    if not waits:
        return {"mean_min": None, "median_min": None, "p90_min": None, "max_min": None}
    minutes = [w / 60 for w in waits]
    return {
        "mean_min": round(statistics.fmean(minutes), 1),
        "median_min": round(statistics.median(minutes), 1),
        "p90_min": round(percentile(minutes, 0.9), 1),
        "max_min": round(max(minutes), 1),
    }


def _service_summary(result: Result, s: ServiceConfig) -> dict[str, Any] | None:
    """One service's day; None for a service nobody came for and no counter serves."""
    day = result.day
    arrivals = [c for c in day.citizens if c.service_id == s.id]
    if not arrivals and not any(s.id in c.services for c in day.counters):
        return None
    tickets = [t for t in result.tickets if t.service_id == s.id]
    served = [t for t in tickets if t.outcome == "served"]
    called = [t for t in tickets if t.wait_s is not None]
    within = [
        t
        for t in served
        if t.completed_at is not None
        and (t.completed_at - t.issued).total_seconds() <= s.target_minutes * 60
    ]
    refused = [r for r in result.refusals if r.citizen.service_id == s.id]
    return {
        "service_id": s.id,
        "name": s.name,
        "arrivals": len(arrivals),
        "issued": len(tickets),
        "served": len(served),
        "no_show": sum(1 for t in tickets if t.outcome == "no_show"),
        "refused_quota": sum(1 for r in refused if r.reason == "quota"),
        "refused_closed": sum(1 for r in refused if r.reason == "closed"),
        "left_waiting": sum(1 for t in result.waiting_at_end if t.service_id == s.id),
        "quota_out": {
            part: _hhmm(at) for (sid, part), at in result.quota_out.items() if sid == s.id
        },
        "wait": _wait_stats([t.wait_s for t in called if t.wait_s is not None]),
        "target_minutes": s.target_minutes,
        "within_target": round(len(within) / len(served), 3) if served else None,
        "counters": sum(1 for c in day.counters if s.id in c.services),
        "estimate_error": error_stats(_pairs(called)),
        "alt_estimate_error": error_stats(_pairs(called, alt=True)),
    }


def _counter_summaries(result: Result) -> list[dict[str, Any]]:
    return [
        {
            "counter_id": c.config.id,
            "services": list(c.config.services),
            "called": sum(1 for t in result.tickets if t.counter_id == c.config.id),
            "busy_h": round(c.busy_s / 3600, 2),
            "utilisation": None if c.utilisation is None else round(c.utilisation, 3),
            "last_done": _hhmm(c.last_done),
        }
        for c in result.counters
    ]


def _quota_forecasts(result: Result) -> tuple[list[dict[str, Any]], dict[str, float | None]]:
    """Each quota forecast against when the quota really ran out, and the mean absolute
    error (minutes) of either way of forecasting."""
    day = result.day
    forecasts: list[dict[str, Any]] = []
    scored: dict[str, list[float]] = {"rate": [], "profile": []}

    def minutes_off(predicted: time | None, actual: time | None) -> float | None:
        if predicted is None or actual is None:
            return None
        delta = datetime.combine(day.date, predicted) - datetime.combine(day.date, actual)
        return round(delta.total_seconds() / 60, 1)

    for f in result.forecasts:
        error = minutes_off(f.forecast, f.actual)
        error_profiled = minutes_off(f.profiled, f.actual)
        if error is not None:
            scored["rate"].append(abs(error))
        if error_profiled is not None:
            scored["profile"].append(abs(error_profiled))
        forecasts.append(
            {
                "service_id": f.service_id,
                "part": f.part,
                "made_at": _hhmm(f.made_at),
                "actual": _hhmm(f.actual),
                "forecast": _hhmm(f.forecast),
                "error_min": error,
                "agrees": (f.forecast is None) == (f.actual is None),
                "profiled": _hhmm(f.profiled),
                "profiled_error_min": error_profiled,
                "profiled_agrees": (f.profiled is None) == (f.actual is None),
            }
        )
    mae = {k: round(statistics.fmean(v), 1) if v else None for k, v in scored.items()}
    return forecasts, mae


def _totals(result: Result) -> dict[str, Any]:
    called_all = [t for t in result.tickets if t.wait_s is not None]
    return {
        "arrivals": len(result.day.citizens),
        "issued": len(result.tickets),
        "served": sum(1 for t in result.tickets if t.outcome == "served"),
        "no_show": sum(1 for t in result.tickets if t.outcome == "no_show"),
        "refused_quota": sum(1 for r in result.refusals if r.reason == "quota"),
        "refused_closed": sum(1 for r in result.refusals if r.reason == "closed"),
        "left_waiting": len(result.waiting_at_end),
        # told "belum ada loket yang melayani": no staffed counter when the ticket was taken
        "no_estimate": sum(1 for t in result.tickets if t.estimate_s is None),
        "wait": _wait_stats([t.wait_s for t in called_all if t.wait_s is not None]),
    }


def summarise(result: Result) -> dict[str, Any]:
    day = result.day
    services = [
        summary for s in day.site.services if (summary := _service_summary(result, s)) is not None
    ]
    called_all = [t for t in result.tickets if t.wait_s is not None]
    forecasts, mae = _quota_forecasts(result)
    return {
        "site": day.site.site.id,
        "site_name": day.site.site.name,
        "date": day.date.isoformat(),
        "params": {
            "scale": day.params.scale,
            "priority_share": day.params.priority_share,
            "online_share": day.params.online_share,
            "no_show_share": day.params.no_show_share,
            "no_show_cost_s": day.params.no_show_cost_s,
            "service_cv": day.params.service_cv,
            "overtime_minutes": day.params.overtime_minutes,
        },
        "totals": _totals(result),
        "estimate_error": error_stats(_pairs(called_all)),
        "alt_estimate_error": error_stats(_pairs(called_all, alt=True)),
        "services": services,
        "counters": _counter_summaries(result),
        "quota_forecasts": forecasts,
        "quota_forecast_mae_min": mae,
    }


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "–"
    return str(value)


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _services_section(summary: dict[str, Any]) -> list[str]:
    return _table(
        [
            "service",
            "counters",
            "arrivals",
            "served",
            "no-show",
            "refused (quota)",
            "quota out",
            "left",
            "wait mean",
            "median",
            "p90",
            "max",
            "within target",
        ],
        [
            [
                s["service_id"],
                s["counters"],
                s["arrivals"],
                s["served"],
                s["no_show"],
                s["refused_quota"],
                s["quota_out"] or None,
                s["left_waiting"],
                s["wait"]["mean_min"],
                s["wait"]["median_min"],
                s["wait"]["p90_min"],
                s["wait"]["max_min"],
                None
                if s["within_target"] is None
                else f"{s['within_target']:.0%} of {s['target_minutes']} min",
            ]
            for s in summary["services"]
        ],
    )


def _error_row(service: str, label: str, e: dict[str, Any]) -> list[Any]:
    figures = ("n", "mae_min", "median_ae_min", "p90_ae_min", "bias_min")
    return [service, label, *(e[k] for k in figures)]


def _estimates_section(summary: dict[str, Any]) -> list[str]:
    rows = [
        _error_row("all", label, summary[key])
        for label, key in (
            ("live (ahead × avg / counters)", "estimate_error"),
            ("alternative (busy counters)", "alt_estimate_error"),
        )
    ]
    for s in summary["services"]:
        for label, key in (("live", "estimate_error"), ("alternative", "alt_estimate_error")):
            if s[key]["n"]:
                rows.append(_error_row(s["service_id"], label, s[key]))
    return _table(["service", "estimator", "tickets", "MAE", "median AE", "p90 AE", "bias"], rows)


def _counters_section(summary: dict[str, Any]) -> list[str]:
    return _table(
        ["counter", "services", "called", "busy h", "utilisation", "last done"],
        [
            [
                c["counter_id"],
                ", ".join(c["services"]),
                c["called"],
                c["busy_h"],
                None if c["utilisation"] is None else f"{c['utilisation']:.0%}",
                c["last_done"],
            ]
            for c in summary["counters"]
        ],
    )


def _quota_section(summary: dict[str, Any]) -> list[str]:
    if not summary["quota_forecasts"]:
        return []
    out = ["", "## When the quota runs out: forecast vs actual", ""]
    out += _table(
        ["service", "part", "forecast at", "actual", "by rate", "error", "by profile", "error"],
        [
            [
                f["service_id"],
                f["part"],
                f["made_at"],
                f["actual"] or "lasted the day",
                f["forecast"] or "lasts the day",
                f["error_min"],
                f["profiled"] or "lasts the day",
                f["profiled_error_min"],
            ]
            for f in summary["quota_forecasts"]
        ],
    )
    mae = summary["quota_forecast_mae_min"]
    return [
        *out,
        "",
        f"Mean absolute error (minutes): by rate {_cell(mae['rate'])}, "
        f"by profile {_cell(mae['profile'])}. Errors: forecast − actual.",
    ]


def markdown(summary: dict[str, Any]) -> str:
    t = summary["totals"]
    out = [
        f"# {summary['site_name']} — simulated day {summary['date']}",
        "",
        f"{t['arrivals']} citizens came, {t['issued']} got a ticket, {t['served']} were served, "
        f"{t['no_show']} did not answer the call, {t['refused_quota']} were refused for the "
        f"quota, {t['refused_closed']} came after closing, {t['left_waiting']} still waited "
        f"when the counters stopped. Waits (minutes): mean {_cell(t['wait']['mean_min'])}, "
        f"median {_cell(t['wait']['median_min'])}, p90 {_cell(t['wait']['p90_min'])}, "
        f"max {_cell(t['wait']['max_min'])}.",
        "",
        "## Services",
        "",
    ]
    out += _services_section(summary)
    out += ["", "## Estimated wait vs actual wait (minutes; bias = told − actual)", ""]
    out += _estimates_section(summary)
    out += ["", "## Counters", ""]
    out += _counters_section(summary)
    out += _quota_section(summary)
    return "\n".join(out) + "\n"
