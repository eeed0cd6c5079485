"""Limits of delimited text tables, checked on the header before a parser sees the file.

polars (like most CSV parsers) allocates per column: a one-row CSV of 10⁶ columns (10–18 MB)
takes 1.2–3.6 GB to read. :func:`check_csv_columns` counts the header's fields in linear
time and refuses a table wider than :data:`MAX_CSV_COLUMNS` with a
:class:`~runlab.errors.FileTooLargeError`, so memory follows the file's size again. The CSV
activity reader uses it; any reader of delimited text can (journals, phone logs).
"""

from __future__ import annotations

import re

from runlab.errors import FileTooLargeError

__all__ = ["MAX_CSV_COLUMNS", "header_record", "count_csv_columns", "check_csv_columns"]

#: Widest table runlab reads [columns]. The widest real layouts are FitCSVTool files
#: (3 columns per field, at most 255 fields: 768) and journals of a few dozen columns.
MAX_CSV_COLUMNS = 4096

_QUOTED = re.compile(r'"[^"]*"')


def header_record(text: str) -> str:
    """The first record of a CSV text: up to the first line break outside double quotes
    (RFC 4180 fields may hold quoted line breaks), without the line break."""
    quotes, start = 0, 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            return text
        quotes += text.count('"', start, end)
        if quotes % 2 == 0:
            return text[:end].removesuffix("\r")
        start = end + 1


def count_csv_columns(text: str, separator: str | None = None) -> int:
    """Number of fields in the header record of a CSV text, without splitting it.

    A separator inside double quotes does not count (RFC 4180; an escaped quote ``""``
    leaves the quoting state unchanged). ``separator`` defaults to whichever of ``,`` ``;``
    and tab the header has most of. Linear time, no allocation per field.
    """
    head = header_record(text)
    if separator is None:
        separator = max((",", ";", "\t"), key=head.count)
    if '"' in head:
        head = _QUOTED.sub("", head)  # one copy of the header, not one string per field
    return head.count(separator) + 1


def check_csv_columns(text: str, path: str, *, separator: str | None = None,
                      limit: int = MAX_CSV_COLUMNS) -> int:
    """The header's column count; raises :class:`~runlab.errors.FileTooLargeError`
    (naming ``path`` and the limit) when it is over ``limit``."""
    n = count_csv_columns(text, separator)
    if n > limit:
        raise FileTooLargeError(path, f"the CSV header has {n} columns, over the limit of "
                                      f"{limit} (runlab.io._text.MAX_CSV_COLUMNS)")
    return n
