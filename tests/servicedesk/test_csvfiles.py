"""The one CSV writer: formula cells are neutralised, numbers and plain text are left alone."""

import csv
import io
from decimal import Decimal

import pytest

from servicedesk.csvfiles import csv_lines, csv_safe, csv_writer


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+31 20 555", "'+31 20 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Printer jammed", "Printer jammed"),
        ("a=b", "a=b"),
        (None, ""),
        (-5, "-5"),
        (-2.5, "-2.5"),
        (Decimal("-1.50"), "-1.50"),
    ],
)
def test_formula_cells_are_neutralised_and_numbers_kept(value, written):
    assert csv_safe(value) == written


def test_the_writer_and_the_streamed_lines_agree():
    rows = [["title", "count"], ['=HYPERLINK("http://x")', -3]]
    buffer = io.StringIO()
    csv_writer(buffer).writerows(rows)

    assert "".join(csv_lines(rows)) == buffer.getvalue()
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [
        ["title", "count"],
        ['\'=HYPERLINK("http://x")', "-3"],
    ]
