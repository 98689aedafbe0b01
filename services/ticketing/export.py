"""Tables as the files staff download: CSV (UTF-8 with a byte order mark, so Excel reads
the Indonesian text right) and XLSX, every cell safe from spreadsheet formula injection.
Shared by the service reports and the SP4N-LAPOR! complaints export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

Table = tuple[str, list[str], list[list[Any]]]
"""A titled table: its title, header row and rows."""


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=, +, -, @ …) is prefixed with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(sections: Sequence[Table]) -> bytes:
    """One CSV file: each table is its title row, header row and rows, then a blank row.
    UTF-8 with a byte order mark so Excel reads the Indonesian text right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for i, (title, header, rows) in enumerate(sections):
        if i:
            writer.writerow([])
        writer.writerow([f"# {title}"])
        _write_rows(writer, header, rows)
    return out.getvalue().encode("utf-8-sig")


def csv_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One table as a CSV file: the header row, then the rows; encoded as `to_csv`."""
    out = io.StringIO()
    _write_rows(csv.writer(out, lineterminator="\r\n"), header, rows)
    return out.getvalue().encode("utf-8-sig")


def _write_rows(writer: Any, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer.writerow(header)
    writer.writerows([[safe_cell(v) for v in row] for row in rows])


def to_xlsx(sections: Sequence[Table]) -> bytes:
    """One sheet per table, header in bold, columns wide enough to read."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sections:
        sheet = book.create_sheet(title[:31])
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, date | datetime):  # a real date cell, sortable
                    cell.number_format = (
                        "yyyy-mm-dd" if type(cell.value) is date else "yyyy-mm-dd hh:mm"
                    )
        for col, name in enumerate(header, start=1):
            width = max([len(str(name)), *(len(str(r[col - 1])) for r in rows if r)], default=8)
            sheet.column_dimensions[sheet.cell(1, col).column_letter].width = min(60, width + 2)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
