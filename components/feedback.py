"""One way to show problems: exceptions and issues, in words, with the rows they concern."""

from __future__ import annotations

from collections.abc import Iterable

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
