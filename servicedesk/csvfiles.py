"""The one way the product writes CSV: every cell a spreadsheet would run as a formula is
neutralised (CSV injection, OWASP): text starting with =, +, -, @, a tab or a carriage return gets
a leading apostrophe, so `=HYPERLINK(...)` typed by an end user into a title reaches the manager's
spreadsheet as text. Numbers stay numbers (-5 is a number, not a formula).
"""

import csv
from collections.abc import Iterable
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeWriter:
    """`csv.writer` whose rows go through `csv_safe`; `writerow` returns what it wrote."""

    def __init__(self, file, **options):
        self._writer = csv.writer(file, **options)

    def writerow(self, row: Iterable):
        return self._writer.writerow([csv_safe(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable]):
        for row in rows:
            self.writerow(row)


def csv_writer(file, **options) -> SafeWriter:
    """A writer for `file` (anything with `write`, e.g. an HttpResponse)."""
    return SafeWriter(file, **options)


class _Echo:
    def write(self, value):
        return value


def csv_lines(rows: Iterable[Iterable]) -> Iterable[str]:
    """Each row as one CSV line, lazily: the body of a StreamingHttpResponse."""
    writer = SafeWriter(_Echo())
    return (writer.writerow(row) for row in rows)
