"""Service reports of one site over a period of site-local days: volumes, outcomes, waits,
service times, the service standard (SLA), arrivals by hour and weekday, counters,
complaints and the IKM. Every figure is computed in SQL from the ticket history
(`repositories/reports.py`, `percentile_cont` for medians and P90); Python only names and
arranges them.

Who may see which period (`scope.py`), the report's figures as JSON-ready data and the
charts' data (`figures.py`), the charts drawn as SVG (`charts.py`), the report as the
tables of its CSV/XLSX export (`tables.py`, written by `services/ticketing/export.py`).

Definitions (docs/reports.md):
- a ticket belongs to the period of its site-local day of issue (`tickets.day`);
- wait = first_called_at − issued_at, for every ticket that was called;
- service time = completed_at − called_at, for served tickets;
- within standard: a served ticket whose completed_at − issued_at ≤ its service's
  target_minutes (the standard's time to serve, waiting included);
- transfers come from the service-completed events in the outbox (the ticket row only
  keeps its last outcome), counted by the time of the transfer.
"""

from services.ticketing.reports.figures import build, chart
from services.ticketing.reports.scope import MAX_DAYS, Period, period
from services.ticketing.reports.tables import tables
from services.ticketing.repositories.reports import QUERIES, REPORT_WORK_MEM, query_args

__all__ = [
    "MAX_DAYS",
    "QUERIES",
    "REPORT_WORK_MEM",
    "Period",
    "build",
    "chart",
    "period",
    "query_args",
    "tables",
]
