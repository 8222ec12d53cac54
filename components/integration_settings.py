"""The Settings tab of "Settings and Mappings": inventory tracking, grouping, the clearing account
and where each kind of settlement money goes in QuickBooks. Widget keys start with ``ints_``."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import state
from components.feedback import show_error, show_issues
from services import routing
from services.errors import QboError, SettlebridgeError
from services.records import Client, Grouping, Integration, QboAccount, QboItem

GROUPING_LABELS = {
    Grouping.SETTLEMENT.value: "One set of documents per settlement",
    Grouping.DAY.value: "One set per day",
    Grouping.ORDER.value: "One set per order",
}
FACILITATOR_LABELS = {
    routing.FacilitatorTax.EXCLUDE.value: "Leave it out (it nets to zero: collected and remitted by the marketplace)",
    routing.FacilitatorTax.RECORD.value: "Record both sides through the facilitator tax item",
}


@st.cache_data(ttl=120, show_spinner="Reading QuickBooks accounts and items…")
def _qbo_lists(client_id: int) -> tuple[list[QboAccount], list[QboItem], str]:
    """Accounts and items of the client's company, and an error ("" when QBO could be read)."""
    from services.storage import clients as repo

    db = state.database()
    try:
        accounts, items = routing.qbo_lists(db, repo.get_client(db, client_id=client_id))
    except SettlebridgeError as exc:
        return [], [], exc.message
    return accounts, items, ""


def _choice(label: str, value: str, options: list[str], key: str, help_text: str = "") -> str:
    """A selectbox over QBO names that keeps a value QBO does not have (it is created on request)."""
    names = sorted(set(options) | {value}, key=str.lower) if options else [value]
    return st.selectbox(label, names, index=names.index(value), key=key, help=help_text or None,
                        accept_new_options=True) or value


def render_tracking(client: Client, integration: Integration) -> None:
    """"Enable Inventory Tracking": checks the plan, the workspace and QBO's preferences first."""
    db = state.database()
    st.subheader("Inventory tracking")
    if integration.inventory_tracking:
        st.success("Inventory tracking is **on**: sales and refunds go to the mapped inventory items, and "
                   "QuickBooks lowers quantity on hand and computes FIFO cost of goods sold.",
                   icon=":material/inventory_2:")
        if st.button("Turn inventory tracking off", key="ints_tracking_off"):
            routing.enable_tracking(db, client, integration, False)
            st.rerun()
        return
    st.info("Inventory tracking is **off**: every sale and refund goes to the generic item \"Product\".",
            icon=":material/info:")
    if st.button("Enable Inventory Tracking", key="ints_tracking_on", type="primary"):
        try:
            _, problems = routing.enable_tracking(db, client, integration, True)
        except QboError as exc:
            show_error(exc)
            return
        if problems:
            st.error("Inventory tracking cannot be enabled yet. Change this first:", icon=":material/block:")
            for p in problems:
                st.markdown(f"- {p}")
            st.caption("Then click **Enable Inventory Tracking** again.")
        else:
            st.rerun()


def render(client: Client, integration: Integration) -> None:
    """The whole Settings tab."""
    db = state.database()
    render_tracking(client, integration)
    st.divider()

    values = routing.effective_settings(integration)
    qbo_accounts, qbo_items, problem = _qbo_lists(client.id)
    accounts = [a.name for a in qbo_accounts if a.active]
    items = [i.name for i in qbo_items if i.active]
    if problem:
        st.warning(f"QuickBooks could not be read ({problem}); names are shown as stored.", icon=":material/warning:")

    st.subheader("Clearing account")
    st.caption("Every document deposits to, or is paid from, this account; the payout's bank deposit clears it.")
    clearing = values[routing.CLEARING_KEY]
    if accounts and clearing not in accounts:
        st.warning(f"QuickBooks has no account named **{clearing}** yet.", icon=":material/warning:")
        if st.button(f"Create “{clearing}” in QuickBooks", key="ints_create_clearing"):
            try:
                routing.ensure_clearing_account(db, client, integration)
                _qbo_lists.clear()
                st.rerun()
            except SettlebridgeError as exc:
                show_error(exc)

    with st.form("ints_form"):
        new: dict[str, str] = {}
        new[routing.CLEARING_KEY] = _choice("Clearing account", clearing, accounts, "ints_clearing")
        grouping = st.radio("Grouping", list(GROUPING_LABELS), index=list(GROUPING_LABELS).index(
            integration.grouping.value), format_func=GROUPING_LABELS.__getitem__, key="ints_grouping",
            help="Documents are always split at month ends so that each falls in its period.")
        st.markdown("**Sales receipts and refund receipts** (items)")
        new[routing.PRODUCT_KEY] = _choice("Product sales when inventory tracking is off",
                                           values[routing.PRODUCT_KEY], items, "ints_product_item")
        for spec in routing.ITEM_ROUTES:
            new[spec.key] = _choice(spec.label, values[spec.key], items, f"ints_{spec.key}",
                                    f"Posts to {spec.account} when created by Settlebridge.")
        new[routing.FACILITATOR_KEY] = st.radio(
            "Marketplace facilitator tax", list(FACILITATOR_LABELS),
            index=list(FACILITATOR_LABELS).index(values[routing.FACILITATOR_KEY]),
            format_func=FACILITATOR_LABELS.__getitem__, key="ints_facilitator")
        st.markdown("**Expenses and deposits** (accounts)")
        for spec in routing.ACCOUNT_ROUTES:
            new[spec.key] = _choice(spec.label, values[spec.key], accounts, f"ints_{spec.key}", spec.help)
        saved = st.form_submit_button("Save settings", type="primary")
    if saved:
        changed = {k: v for k, v in new.items() if v != values.get(k)}
        try:
            routing.save_settings(db, integration, changed, grouping=Grouping(grouping))
            st.session_state["ints_saved"] = True
            st.rerun()
        except SettlebridgeError as exc:
            show_error(exc)

    if st.session_state.pop("ints_saved", False):
        st.success("Settings saved. The next import (or Retry import) builds documents with them.",
                   icon=":material/check:")

    st.subheader("Sensible defaults")
    st.caption("Creates in QuickBooks every account and item named above that is missing (existing ones "
               "are reused, never duplicated).")
    done = st.session_state.pop("ints_defaults_done", None)
    if done:
        st.success(done, icon=":material/check:")
    if st.button("Create sensible defaults", key="ints_defaults"):
        try:
            _, created = routing.create_defaults(db, client, integration)
        except SettlebridgeError as exc:
            show_error(exc)
        else:
            # This run read QuickBooks before the click: run again so that nothing below (the
            # clearing account's warning, the problems) speaks of what was just created.
            _qbo_lists.clear()
            st.session_state["ints_defaults_done"] = created.summary()
            st.rerun()

    with st.expander("Where each kind of money goes", expanded=False):
        current = routing.routing_for(integration)
        rows = []
        for label, category, sign, refund, kind in routing.ROUTE_EXAMPLES:
            doc, target = routing.route_of(current, category, kind, amount_sign=sign, is_refund=refund,
                                           tracking=integration.inventory_tracking)
            rows.append({"Amount": label, "Document": doc, "Item or account": target})
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="ints_routes")
    if qbo_accounts or qbo_items:
        show_issues(routing.validate_settings(values, accounts=qbo_accounts, items=qbo_items), key="ints")
