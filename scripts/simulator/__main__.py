"""`python -m scripts.simulator --site tabanan --date 2026-11-30 --counters ktp-el=4`

Replays a busy day at one MPP against a counter plan and prints what citizens would have
lived through (see docs/simulation.md)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from scripts.simulator import Params, build_day, markdown, simulate, summarise
from scripts.simulator.scenario import next_monday, parse_counts
from shared.sites import SITES_DIR, load_site_file


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m scripts.simulator",
        description="Replay a busy day at one MPP against a counter plan.",
    )
    p.add_argument("--site", default="balangan", help="site id (config/sites/<id>.toml)")
    p.add_argument("--site-file", type=Path, help="a site file elsewhere")
    p.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (default: next Monday)")
    p.add_argument("--scale", type=float, default=1.0, help="multiply every service's demand")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--counters",
        default="",
        help="service=N,…: give these services N counters of their own instead of the site's",
    )
    p.add_argument("--demand", default="", help="service=N,…: citizens per day at scale 1")
    p.add_argument("--priority-share", type=float, default=0.10)
    p.add_argument("--online-share", type=float, default=0.25)
    p.add_argument("--no-show-share", type=float, default=0.05)
    p.add_argument("--no-show-cost", type=int, default=180, help="seconds a no-show costs")
    p.add_argument("--service-cv", type=float, default=0.5, help="spread of service times")
    p.add_argument("--overtime", type=int, default=60, help="minutes served after closing")
    p.add_argument("--hours", help="staffed hours of an always-open site: 08:00-12:00,13:00-16:00")
    p.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = p.parse_args(argv)

    try:
        path = args.site_file or SITES_DIR / f"{args.site}.toml"
        site = load_site_file(path).config
        params = Params(
            scale=args.scale,
            priority_share=args.priority_share,
            online_share=args.online_share,
            no_show_share=args.no_show_share,
            no_show_cost_s=args.no_show_cost,
            service_cv=args.service_cv,
            overtime_minutes=args.overtime,
            demand=parse_counts(args.demand),
            day_hours=args.hours,
        )
        day = build_day(
            site,
            args.date or next_monday(date.today()),
            params,
            parse_counts(args.counters),
            args.seed,
        )
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = summarise(simulate(day))
    sys.stdout.write(markdown(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
