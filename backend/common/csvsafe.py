"""Guard against spreadsheet formula injection in every CSV the app writes.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is run as a formula when the CSV is opened in Excel, LibreOffice or Google Sheets
(OWASP "CSV Injection"). Node, track, scorer and video names are user input, so
every CSV writer passes its table through ``safe_table`` (or ``write_csv``), which
prefixes such cells with a single quote, as OWASP advises; spreadsheets then show
them as text. Numbers are never touched: coordinate cells are floats, and a text
cell that is a plain number (``-1.5``) cannot be a formula.

``unescape_table`` undoes it when PoseForge reads its own CSV back, so names
survive a round trip. Binary formats (DeepLabCut's H5, SLEAP, NWB) keep the
original strings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text)


def escape_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and _is_formula_like(value):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    """The inverse of ``escape_cell``: drops the quote only where ``escape_cell`` added it."""
    if isinstance(value, str) and value.startswith("'") and _is_formula_like(value[1:]):
        return value[1:]
    return value


def _map_labels(index: pd.Index, fn) -> pd.Index:
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        tuples = [tuple(fn(v) for v in key) for key in index]
        return pd.MultiIndex.from_tuples(tuples, names=index.names) if tuples else index
    return pd.Index([fn(v) for v in index], name=index.name, dtype=index.dtype)


def _map_table(df: pd.DataFrame, fn) -> pd.DataFrame:
    from pandas.api.types import is_numeric_dtype

    out = df.copy()
    out.columns = _map_labels(df.columns, fn)
    out.index = _map_labels(df.index, fn)
    for column in range(out.shape[1]):
        if not is_numeric_dtype(out.dtypes.iloc[column]):  # numeric columns stay as they are
            out.isetitem(column, out.iloc[:, column].map(fn))
    return out


def safe_table(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text header, index and cells are escaped; numbers untouched."""
    return _map_table(df, escape_cell)


def unescape_table(df: pd.DataFrame) -> pd.DataFrame:
    """A table read from a CSV this app wrote, with the original names back."""
    return _map_table(df, unescape_cell)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """The one way the app writes a pandas table as CSV."""
    safe_table(df).to_csv(path)
