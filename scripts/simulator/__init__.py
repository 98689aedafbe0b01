"""A day at one MPP, replayed: citizens arriving on a busy day's curve, the counters of a
plan calling them by the live queue rules, and what everyone waited compared with what the
kiosk told them. Pure Python, seeded; `python -m scripts.simulator --help`."""

from scripts.simulator.engine import Result, Simulation, Ticket, simulate
from scripts.simulator.report import markdown, summarise
from scripts.simulator.scenario import Citizen, Day, Params, build_day

__all__ = [
    "Citizen",
    "Day",
    "Params",
    "Result",
    "Simulation",
    "Ticket",
    "build_day",
    "markdown",
    "simulate",
    "summarise",
]
