"""The conformity table as CSV and XLSX, in clause order, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from openitsms.catalogue.choices import ConformityStatus

if TYPE_CHECKING:
    from openitsms.catalogue.tree import RequirementFilters, RequirementRow
    from openitsms.tenancy.models import Organisation

COLUMNS = [
    "Number",
    "Title",
    "Status",
    "Operated by",
    "Operator",
    "Live evidence items",
    "Evidence freshness",
    "Assessed by",
    "Assessed on",
    "Notes",
]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIDTHS = [10, 60, 22, 28, 30, 12, 18, 22, 12, 60]
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
STATUS_FILLS = {
    ConformityStatus.CONFORMANT: "E3F3E8",
    ConformityStatus.PARTIAL: "FDF1D6",
    ConformityStatus.NONCONFORMANT: "FBE4E4",
}


def csv_safe(value: Any) -> Any:
    """Text that a spreadsheet would take for a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass
class Export:
    organisation: Organisation
    rows: Sequence[RequirementRow]
    filters: RequirementFilters
    today: date

    def filename(self, extension: str) -> str:
        return f"conformity-{self.organisation.slug}-{self.today.isoformat()}.{extension}"

    def csv_response(self) -> HttpResponse:
        response = HttpResponse(self.csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.filename("csv")}"'
        return response

    def xlsx_response(self) -> HttpResponse:
        response = HttpResponse(self.xlsx(), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{self.filename("xlsx")}"'
        return response

    def values(self, row: RequirementRow) -> list[Any]:
        c = row.conformity
        assessor = (
            (c.assessed_by.get_full_name() or c.assessed_by.username) if c and c.assessed_by else ""
        )
        return [
            row.requirement.number,
            row.requirement.title,
            row.status_label,
            row.operated_by_label,
            c.operator_name if c else "",
            row.evidence_count,
            row.freshness_label,
            assessor,
            c.assessed_on if c and c.assessed_on else None,
            c.notes if c else "",
        ]

    def csv(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        for row in self.rows:
            values = self.values(row)
            writer.writerow(
                [
                    v.isoformat() if isinstance(v, date) else "" if v is None else csv_safe(v)
                    for v in values
                ]
            )
        # With a byte-order mark, Excel opens UTF-8 (em dashes, accented names) correctly.
        return buffer.getvalue().encode("utf-8-sig")

    def xlsx(self) -> bytes:
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "Conformity"
        ws.append(COLUMNS)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in self.rows:
            ws.append([None if v == "" else v for v in self.values(row)])
            r = ws.max_row
            for cell in ws[r]:
                if cell.data_type == "f":
                    # Text the user wrote, never a formula to run.
                    cell.data_type = "s"
            depth = row.requirement.depth
            ws.cell(r, 2).alignment = Alignment(indent=depth)
            if depth == 0:
                ws.cell(r, 1).font = Font(bold=True)
                ws.cell(r, 2).font = Font(bold=True)
            ws.cell(r, 9).number_format = "yyyy-mm-dd"
            ws.cell(r, 10).alignment = Alignment(wrap_text=True, vertical="top")
            fill = STATUS_FILLS.get(ConformityStatus(row.status))
            if fill:
                ws.cell(r, 3).fill = PatternFill("solid", start_color=fill, end_color=fill)
        for i, width in enumerate(WIDTHS, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "C2"
        ws.auto_filter.ref = ws.dimensions
        about = wb.create_sheet("About")
        about.append(["Organisation", self.organisation.name])
        standard = self.rows[0].requirement.standard if self.rows else None
        about.append(["Standard", str(standard) if standard else ""])
        about.append(["Catalogue data version", standard.data_version if standard else ""])
        about.append(["Exported on", self.today])
        about.append(["Requirements", len(self.rows)])
        filters = ", ".join(f"{k}={v}" for k, v in self.filters.as_query().items())
        about.append(["Filters", filters or "none (the whole standard)"])
        about.cell(4, 2).number_format = "yyyy-mm-dd"
        about.column_dimensions["A"].width = 24
        about.column_dimensions["B"].width = 50
        for cell in about["B"]:
            if cell.data_type == "f":
                cell.data_type = "s"
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
