"""One way to show problems (exceptions and issues, in words, with the rows they concern) and key
figures (money shown whole, to the cent)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
import streamlit as st

from services.errors import SettlebridgeError
from services.records import Issue, Severity


def show_error(exc: SettlebridgeError) -> None:
    """Show a :class:`SettlebridgeError` as a message box (never a traceback)."""
    st.error(exc.message, icon=":material/error:")


def show_issues(issues: Iterable[Issue], *, key: str = "") -> None:
    """Errors and warnings as a table: severity, file, row, message."""
    items = list(issues)
    if not items:
        return
    errors = [i for i in items if i.severity is Severity.ERROR]
    warnings = [i for i in items if i.severity is not Severity.ERROR]
    if errors:
        st.error(f"{len(errors)} problem(s) must be fixed.", icon=":material/error:")
    if warnings:
        st.warning(f"{len(warnings)} warning(s).", icon=":material/warning:")
    frame = pd.DataFrame([{"Severity": i.severity.value, "File": i.file,
                           "Row": "" if i.row is None else str(i.row), "Problem": i.message}
                          for i in items])
    st.dataframe(
        frame, hide_index=True, width="stretch", key=f"{key}_issues" if key else None,
        column_config={
            "Severity": st.column_config.TextColumn(width="small"),
            "Row": st.column_config.TextColumn(width="small"),
            "Problem": st.column_config.TextColumn(width="large"),
        },
    )
    for issue in items[:3]:  # the first few in full, since a grid cell cuts long sentences off
        st.caption(str(issue))


def figures_per_row(values: Sequence[str]) -> int:
    """How many key figures fit on one row so that none is cut off: a metric's value is large
    type (about 16 px a character) and the page is about 800 px wide on a laptop, so four fit
    when the longest is at most 10 characters, three up to 14 ("8,502,085.44 USD" is 16), else two."""
    longest = max((len(v) for v in values), default=0)
    per_row = 4 if longest <= 10 else 3 if longest <= 14 else 2
    return max(1, min(per_row, len(values)))


def key_figures(figures: Sequence[tuple[str, str]]) -> None:
    """``(label, value)`` pairs as metrics, as many to a row as fit whole (never "8,502,0…")."""
    per_row = figures_per_row([value for _, value in figures])
    for start in range(0, len(figures), per_row):
        row = figures[start:start + per_row]
        for column, (label, value) in zip(st.columns(per_row), row, strict=False):
            column.metric(label, value)
