"""How much an import (or a form) accepts: the sizes checked before a file is read and the
largest amounts, in one place.

Every limit is far above what a real CRM export or spreadsheet holds, and low enough
that a hostile or broken file is refused in seconds, in bounded memory, before it is
parsed: files are read only if they are regular files no bigger than
``MAX_FILE_BYTES``; workbooks are opened only if their parts' declared sizes and
compression ratios are sane; rows, columns and cells are counted as they are read.
"""

from __future__ import annotations

import math
from decimal import Decimal

from csdesk import formatting
from csdesk.i18n import tr

MIB = 2**20

# Files -------------------------------------------------------------------------

MAX_FILE_BYTES = 256 * MIB  # a 1M-row CRM export with ~30 columns is ~250 MB of CSV
MAX_ROWS = 1_048_576  # Excel's own limit, header and title lines included
MAX_COLUMNS = 16_384  # Excel's own limit (column XFD)
MAX_CELL_CHARS = 32_767  # Excel's own limit per cell; a longer cell rejects its row
# A CSV value longer than this refuses the file: it is an unclosed quote swallowing the lines after it.
MAX_CSV_FIELD_CHARS = 1_048_576
# Cells held while reading (a row counts up to its last cell): 1M rows of 30 columns.
MAX_CELLS = 32 * 2**20

# XLSX (a zip of XML parts), checked from the zip's directory before anything is unpacked.
MAX_XLSX_UNPACKED_BYTES = 1024 * MIB  # all parts together, as declared by the zip
MAX_SHARED_STRINGS_BYTES = 256 * MIB  # the shared text table, loaded whole by the reader
MAX_ZIP_RATIO = 100  # unpacked / packed size of one part; real workbooks stay under ~20
ZIP_RATIO_FROM_BYTES = 1 * MIB  # parts smaller than this unpacked are not ratio-checked
MAX_XLSX_PART_BYTES = 64 * MIB  # any other part read whole (workbook, styles): a few MB at most
MAX_ZIP_ENTRIES = 10_000  # a workbook has a part per sheet, style, image...: never this many

# Values ------------------------------------------------------------------------

# Largest amount per row (an account's MRR, a deal's value): R$ 10 bilhões. A million
# accounts at this limit sum to 10^18 cents, below int64's 9.2 * 10^18: totals never wrap.
MAX_AMOUNT_CENTS = 10_000_000_000 * 100
# Largest count or measure (users, logins, tickets, days) in an imported cell.
MAX_QUANTITY = 1_000_000_000_000

PREVIEW_CHARS = 60  # how much of an over-long value a message or report shows


def preview(text: str) -> str:
    """``text`` as a message shows it: cut to ``PREVIEW_CHARS`` with an ellipsis."""
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"


def amount_ok(cents: int | Decimal) -> bool:
    """Whether an amount in cents (a Decimal before rounding) is within ``MAX_AMOUNT_CENTS``."""
    return -MAX_AMOUNT_CENTS <= cents <= MAX_AMOUNT_CENTS


def megabytes(size: int) -> str:
    """A size in MB as messages show it, rounded up to a tenth (a byte over 256 MB is 256.1)."""
    return formatting.number(math.ceil(size * 10 / MIB) / 10, 0 if size % MIB == 0 else 1)


def too_large_amount(value: str) -> str:
    """Why an amount beyond ``MAX_AMOUNT_CENTS`` is refused (an import's cell, a form's field)."""
    return tr(
        "{value} is more than {limit}, the largest amount accepted. "
        "Check for extra digits, or amounts in cents or in another unit.",
        value=preview(value.strip()),
        limit=formatting.money(MAX_AMOUNT_CENTS),
    )
