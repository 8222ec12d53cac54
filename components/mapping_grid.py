"""The Mappings tab of "Settings and Mappings": the grid, row actions, bundles, suggestions,
item creation and the Excel round trip.

State (per integration, keys prefixed ``map_``): unsaved changes live in a draft (SKU → mapping,
``None`` clears) together with the mappings version they were made against. Grid cell edits are
read from the data editor's ``edited_rows`` and folded into the draft whenever something else
happens (an action, a filter change, Save); folding bumps the grid's key so that its edit state
starts afresh. Save writes the draft with that version; when someone saved in between it is
refused and the draft is kept for review.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from components import bundle_editor, state
from components.feedback import show_error, show_issues
from services.errors import BadInput, ConcurrentEdit, SettlebridgeError
from services.mapping import (
    COL_C_AS_OF,
    COL_C_COST,
    COL_C_FIRST,
    COL_C_ITEM_SKU,
    COL_C_NAME,
    COL_C_QTY,
    COL_C_SKU,
    COL_COMPONENTS,
    COL_FIRST,
    COL_ITEM,
    COL_SKU,
    COL_SOLD,
    COL_STATUS,
    COL_TITLE,
    COL_TYPE,
    TYPE_BUNDLE,
    TYPE_ITEM,
    ItemIndex,
    MappingStatus,
    Row,
    apply_edited_rows,
    bundle_mapping,
    channel_rows,
    convert_to_bundle,
    convert_to_item,
    create_frame,
    filter_rows,
    frame_to_new_items,
    grid_frame,
    item_mapping,
    mapping_status,
    suggest_mappings,
)
from services.records import (
    BundleComponent,
    ChannelProduct,
    Client,
    Integration,
    Issue,
    Mapping,
    MappingType,
    QboAccount,
    QboItem,
)
from services.storage import Database


def _gateway(db: Database, client_id: int) -> Any:
    """A gateway for the tab's reads: fewer, shorter retries than posting (someone is waiting)."""
    from services.qbo.gateway import QboGateway, RetryPolicy
    from services.storage import clients as clients_repo

    client = clients_repo.get_client(db, client_id=client_id)
    return QboGateway.for_client(db, client, retry=RetryPolicy(attempts=3, base_seconds=0.3, cap_seconds=2.0,
                                                               timeout=(5.0, 30.0)))


@st.cache_data(ttl=300, show_spinner="Reading the QuickBooks items…")
def qbo_items(db_url: str, client_id: int, api_url: str, realm: str, _db: Database) -> list[QboItem]:
    """The client's QBO items, active and inactive (cached five minutes; "Refresh" clears it)."""
    return list(_gateway(_db, client_id).list_items(include_inactive=True))


@st.cache_data(ttl=300, show_spinner=False)
def qbo_accounts(db_url: str, client_id: int, api_url: str, realm: str, _db: Database) -> list[QboAccount]:
    """The client's QBO accounts (for a new item's income, COGS and asset accounts)."""
    return list(_gateway(_db, client_id).list_accounts())


# The two caches below hold plain tuples: unpickling 20,000 frozen dataclasses on every rerun
# costs more than reading them from the database again.


@st.cache_data(ttl=600, show_spinner=False, max_entries=20)
def _channel_products_rows(db_url: str, integration_id: int, signature: str, _db: Database) -> list[tuple[Any, ...]]:
    from services.storage import clients as clients_repo
    from services.storage.mappings import list_channel_products

    return [(p.sku, p.title, p.first_date.toordinal() if p.first_date else 0,
             p.last_date.toordinal() if p.last_date else 0, p.units_sold, p.units_refunded)
            for p in list_channel_products(_db, clients_repo.get_integration_by_id(_db, integration_id))]


def channel_products(db: Database, integration: Integration) -> list[ChannelProduct]:
    """The integration's channel products, recomputed only when its settlements change."""
    from services.storage.mappings import channel_products_signature

    signature = channel_products_signature(db, integration)
    day = dt.date.fromordinal
    return [ChannelProduct(sku, title, day(first) if first else None, day(last) if last else None, sold, refunded)
            for sku, title, first, last, sold, refunded in _channel_products_rows(db.url, integration.id, signature, db)]


@st.cache_data(ttl=600, show_spinner=False, max_entries=20)
def _mapping_rows(db_url: str, integration_id: int, version: int, _db: Database) -> list[tuple[Any, ...]]:
    from services.storage import clients as clients_repo
    from services.storage.mappings import load_mappings

    return [(m.sku, m.type.value, (m.item.id, m.item.name) if m.item else None, m.title,
             tuple((c.item.id, c.item.name, str(c.qty), str(c.percent)) for c in m.components))
            for m in load_mappings(_db, clients_repo.get_integration_by_id(_db, integration_id)).values()]


def saved_mappings(db: Database, integration: Integration, version: int) -> dict[str, Mapping]:
    """The integration's stored mappings at ``version`` (a save bumps it, so this never goes stale)."""
    from decimal import Decimal

    from services.records import ItemRef

    out: dict[str, Mapping] = {}
    for sku, mtype, item, title, comps in _mapping_rows(db.url, integration.id, version, db):
        out[sku] = Mapping(sku, MappingType(mtype), ItemRef(*item) if item else None,
                           tuple(BundleComponent(ItemRef(i, n), Decimal(q), Decimal(p)) for i, n, q, p in comps),
                           title)
    return out


class _Keys:
    def __init__(self, integration: Integration) -> None:
        i = integration.id
        self.scope = str(i)
        self.draft, self.base, self.gen = f"map_draft_{i}", f"map_base_{i}", f"map_gen_{i}"
        self.shown, self.flash, self.issues = f"map_shown_{i}", f"map_flash_{i}", f"map_issues_{i}"
        self.suggestions, self.conflict = f"map_suggestions_{i}", f"map_conflict_{i}"

    def grid(self) -> str:
        return f"map_grid_{self.scope}_{st.session_state.get(self.gen, 0)}"


def _effective(saved: dict[str, Mapping], draft: dict[str, Mapping | None]) -> dict[str, Mapping]:
    out = dict(saved)
    for sku, m in draft.items():
        if m is None or m.type is MappingType.NONE:
            out.pop(sku, None)
        else:
            out[sku] = m
    return out


def _grid_changes(keys: _Keys, effective: dict[str, Mapping], titles: dict[str, str],
                  index: ItemIndex) -> tuple[dict[str, Mapping | None], list[Issue]]:
    """The cell edits of the grid as it was last shown, as mapping changes."""
    state = st.session_state.get(keys.grid())
    edited = (state or {}).get("edited_rows") if isinstance(state, dict) else None
    if not edited:
        return {}, []
    return apply_edited_rows(st.session_state.get(keys.shown, []), edited, effective, titles, index)


def _fold(keys: _Keys, saved: dict[str, Mapping], titles: dict[str, str], index: ItemIndex) -> list[Issue]:
    """Move the grid's cell edits into the draft and start the grid afresh."""
    ss = st.session_state
    draft: dict[str, Mapping | None] = ss.setdefault(keys.draft, {})
    changes, issues = _grid_changes(keys, _effective(saved, draft), titles, index)
    draft.update(changes)
    ss[keys.gen] = ss.get(keys.gen, 0) + 1
    if issues:
        ss[keys.issues] = issues
    return issues


def _fold_callback(keys: _Keys, saved: dict[str, Mapping], titles: dict[str, str], index: ItemIndex) -> None:
    _fold(keys, saved, titles, index)


def render(db: Database, client: Client, integration: Integration) -> None:
    """Draw the Mappings tab of ``integration`` (a client's sales channel)."""
    from services.storage.mappings import mapping_version

    ss = st.session_state
    keys = _Keys(integration)
    try:
        items = qbo_items(db.url, client.id, client.sandbox_url, client.realm_id, db)
    except SettlebridgeError as exc:
        show_error(exc)
        if st.button("Try again", key="map_items_retry"):
            qbo_items.clear()
            st.rerun()
        return
    index = ItemIndex.of(items)
    version = mapping_version(db, integration)
    saved = saved_mappings(db, integration, version)
    draft: dict[str, Mapping | None] = ss.setdefault(keys.draft, {})
    if keys.base not in ss:
        ss[keys.base] = version
    effective = _effective(saved, draft)
    products = channel_products(db, integration)
    rows = channel_rows(products, effective)
    titles = {r.sku: r.title for r in rows}

    # messages of the last action sit in one container, so that the elements below keep their
    # place from run to run (an expander the accountant opened stays open)
    notices = st.container()
    flash = ss.pop(keys.flash, None)
    if flash:
        notices.success(flash, icon=":material/check_circle:")
        st.toast(flash, icon=":material/check_circle:")  # seen also when the action was far down the page
    refused = ss.pop(keys.flash + "_refused", None)
    if refused:
        notices.error(refused, icon=":material/block:")
    pending_issues = ss.pop(keys.issues, None)
    if pending_issues:
        with notices:
            show_issues(pending_issues, key="map_pending")

    if not integration.inventory_tracking:
        st.info("Inventory tracking is off for this integration: its sales go to the generic item "
                "\"Product\". Mappings take effect once tracking is on (Settings tab).", icon=":material/info:")
    statuses = [mapping_status(r.mapping, index)[0] for r in rows]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Channel products", f"{len(rows):,}")
    m2.metric("Mapped", f"{sum(s is MappingStatus.MAPPED for s in statuses):,}")
    m3.metric("Not mapped", f"{sum(s is MappingStatus.NOT_MAPPED for s in statuses):,}")
    m4.metric("Invalid", f"{sum(s is MappingStatus.INVALID for s in statuses):,}")
    if not rows:
        st.info("No channel products yet: import a settlement of this integration, or upload a mapping workbook.")

    _conflict_banner(db, integration, keys, version)

    f1, f2, f3 = st.columns([3, 2, 2])
    f1.text_input("Search SKU, title or item", key="map_search", on_change=_fold_callback,
                  args=(keys, saved, titles, index))
    f2.toggle("Only not mapped or invalid", key="map_unmapped", on_change=_fold_callback,
              args=(keys, saved, titles, index))
    if f3.button("Refresh QuickBooks items", key="map_refresh", icon=":material/refresh:"):
        qbo_items.clear()
        qbo_accounts.clear()
        st.rerun()
    shown = filter_rows(rows, index, unmapped_only=bool(ss.get("map_unmapped")), search=ss.get("map_search", ""))
    ss[keys.shown] = [r.sku for r in shown]
    frame = grid_frame(shown, index)
    st.data_editor(
        frame, key=keys.grid(), hide_index=True, width="stretch", num_rows="fixed", placeholder="",
        height="auto" if len(shown) <= 12 else 460,
        disabled=[COL_SKU, COL_TITLE, COL_COMPONENTS, COL_STATUS, COL_SOLD, COL_FIRST],
        # the status next to the item, so that both fit on a laptop screen; components after
        column_order=[COL_SKU, COL_TITLE, COL_TYPE, COL_ITEM, COL_STATUS, COL_COMPONENTS, COL_SOLD, COL_FIRST],
        column_config={
            COL_SKU: st.column_config.TextColumn(COL_SKU, pinned=True),
            COL_TITLE: st.column_config.TextColumn(COL_TITLE, width=190),
            COL_TYPE: st.column_config.SelectboxColumn(COL_TYPE, options=[TYPE_ITEM, TYPE_BUNDLE], width=110,
                                                       help="Inventory item, or Bundle (edit its components "
                                                       "below)"),
            COL_ITEM: st.column_config.SelectboxColumn(COL_ITEM, options=index.names, width=230,
                                                       help="The client's active QBO inventory items"),
            COL_COMPONENTS: st.column_config.TextColumn(COL_COMPONENTS, width="medium"),
            COL_STATUS: st.column_config.TextColumn(COL_STATUS, width=120),
            COL_SOLD: st.column_config.NumberColumn(COL_SOLD, format="%d"),
            COL_FIRST: st.column_config.DateColumn(COL_FIRST, format="YYYY-MM-DD"),
        })
    grid_changes, grid_issues = _grid_changes(keys, effective, titles, index)
    pending = {**draft, **grid_changes}
    if not pending and not grid_issues and not ss.get(keys.conflict):
        ss[keys.base] = version  # nothing unsaved: the user now edits what this run showed
    if grid_issues:
        show_issues(grid_issues, key="map_grid")
    st.caption(f"{len(shown):,} of {len(rows):,} shown · {len(pending):,} unsaved change(s) · "
               f"version {ss[keys.base]}")

    b1, b2, b3, b4 = st.columns(4)
    if b1.button("Save", type="primary", key="map_save", icon=":material/save:", disabled=not pending):
        _save(db, integration, keys, pending, grid_issues)
    if b2.button("Discard changes", key="map_discard", disabled=not pending):
        ss[keys.draft] = {}
        ss[keys.gen] = ss.get(keys.gen, 0) + 1
        ss.pop(keys.conflict, None)
        st.rerun()
    if b3.button("Suggest mappings", key="map_suggest", icon=":material/auto_fix_high:"):
        ss[keys.suggestions] = suggest_mappings([r.sku for r in rows], effective, index)
        if not ss[keys.suggestions]:
            ss[keys.flash] = "No unmapped SKU has a QuickBooks item with the same Sku or Name."
        st.rerun()
    b4.download_button("Download Excel", data=lambda: _export(products, saved, items),
                       file_name=f"{client.name}-{integration.name}-mappings.xlsx".replace(" ", "_"),
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="map_download", icon=":material/download:")

    _suggestions(keys, saved, titles, index)
    _row_actions(db, integration, keys, shown, saved, effective, titles, index)
    _upload(db, integration, keys, saved, items, bool(pending))
    _create_items(db, client, integration, keys, rows, index, saved, titles)
    _history(db, integration)


def _export(products: Any, saved: dict[str, Mapping], items: list[QboItem]) -> bytes:
    from services.excel import export_workbook

    return export_workbook(channel_rows(products, saved), items)


def _save(db: Database, integration: Integration, keys: _Keys, pending: dict[str, Mapping | None],
          grid_issues: list[Issue]) -> None:
    from services.storage.mappings import save_mappings

    ss = st.session_state
    if grid_issues:
        st.error("Fix the problems above before saving.", icon=":material/block:")
        return
    try:
        new_version = save_mappings(db, integration, pending, who=state.current_user(), expected_version=ss[keys.base])
    except ConcurrentEdit as exc:
        ss[keys.draft] = dict(pending)
        ss[keys.gen] = ss.get(keys.gen, 0) + 1
        ss[keys.conflict] = exc.message
        st.rerun()
    except BadInput as exc:
        problems = (exc.details or {}).get("problems") if isinstance(exc.details, dict) else None
        st.error("Nothing was saved: " + exc.message if not problems else "Nothing was saved.",
                 icon=":material/block:")
        for p in problems or []:
            st.write(f"- {p}")
        return
    ss[keys.draft] = {}
    ss[keys.base] = new_version
    ss[keys.gen] = ss.get(keys.gen, 0) + 1
    ss.pop(keys.conflict, None)
    ss[keys.flash] = f"Saved {len(pending):,} mapping change(s)."
    st.rerun()


def _conflict_banner(db: Database, integration: Integration, keys: _Keys, version: int) -> None:
    ss = st.session_state
    message = ss.get(keys.conflict)
    if not message:
        return
    draft = ss.get(keys.draft, {})
    st.error(f"{message} Someone saved this integration's mappings since you started (version "
             f"{ss[keys.base]} → {version}). Your {len(draft)} unsaved change(s) are kept: "
             f"{', '.join(sorted(draft)[:10])}{'…' if len(draft) > 10 else ''}.", icon=":material/group:")
    c1, c2 = st.columns(2)
    if c1.button("Apply my changes over theirs", key="map_rebase"):
        ss[keys.base] = version
        ss.pop(keys.conflict, None)
        st.rerun()
    if c2.button("Discard my changes", key="map_conflict_discard"):
        ss[keys.draft] = {}
        ss.pop(keys.conflict, None)
        ss[keys.gen] = ss.get(keys.gen, 0) + 1
        st.rerun()


def _suggestions(keys: _Keys, saved: dict[str, Mapping], titles: dict[str, str], index: ItemIndex) -> None:
    import pandas as pd

    ss = st.session_state
    found = ss.get(keys.suggestions)
    if not found:
        return
    st.subheader("Suggested mappings")
    st.caption("Unmapped SKUs whose QuickBooks item has the same Sku or Name (case and spaces ignored). "
               "Untick what you do not want, then apply; nothing is saved until you press Save.")
    frame = pd.DataFrame({"Accept": [True] * len(found), "SKU": [s.sku for s in found],
                          "Title": [titles.get(s.sku, "") for s in found],
                          "QBO Item": [s.item.name for s in found], "Matched on": [s.matched_on for s in found]})
    edited = st.data_editor(frame, key=f"map_suggest_editor_{ss.get(keys.gen, 0)}", hide_index=True,
                            disabled=["SKU", "Title", "QBO Item", "Matched on"], width="stretch")
    c1, c2 = st.columns(2)
    if c1.button(f"Apply the accepted suggestions ({int(edited['Accept'].sum())})", key="map_suggest_apply"):
        _fold(keys, saved, titles, index)
        accepted = {s.sku for s, ok in zip(found, edited["Accept"], strict=True) if ok}
        draft = ss.setdefault(keys.draft, {})
        mapped_meanwhile = _effective(saved, draft)  # a SKU mapped by hand since the proposal keeps its item
        for s in found:
            if s.sku in accepted and s.sku not in mapped_meanwhile:
                draft[s.sku] = item_mapping(s.sku, s.item, titles.get(s.sku, ""))
        ss.pop(keys.suggestions, None)
        st.rerun()
    if c2.button("Dismiss suggestions", key="map_suggest_dismiss"):
        ss.pop(keys.suggestions, None)
        st.rerun()


def _row_actions(db: Database, integration: Integration, keys: _Keys, shown: list[Row],
                 saved: dict[str, Mapping], effective: dict[str, Mapping], titles: dict[str, str],
                 index: ItemIndex) -> None:
    ss = st.session_state
    if not shown:
        return
    st.subheader("Bundles and multipacks")
    st.caption("Choose a channel product to sell it as a bundle of several QuickBooks items (or as a "
               "multipack: one item, several per bundle), or to turn a bundle back into one item.")
    skus = [r.sku for r in shown]
    sku = st.selectbox("Channel product", skus, key="map_row",
                       format_func=lambda s: f"{s} · {titles.get(s, '')}"[:120])
    if sku is None:
        return
    mapping = effective.get(sku)
    status, why = mapping_status(mapping, index)
    st.caption(f"Status: {status.value}{': ' + why if why else ''}")
    c1, c2 = st.columns(2)
    is_bundle = mapping is not None and mapping.type is MappingType.BUNDLE
    if c1.button("Convert to bundle item", key="map_to_bundle", disabled=is_bundle):
        _fold(keys, saved, titles, index)
        current = _effective(saved, ss[keys.draft]).get(sku)
        ss[keys.draft][sku] = convert_to_bundle(sku, current, titles.get(sku, ""))
        bundle_editor.reset(sku, keys.scope)
        st.rerun()
    if c2.button("Convert to inventory item", key="map_to_item", disabled=not is_bundle):
        _fold(keys, saved, titles, index)
        current = _effective(saved, ss[keys.draft]).get(sku)
        ss[keys.draft][sku] = convert_to_item(sku, current, titles.get(sku, ""))
        bundle_editor.reset(sku, keys.scope)
        st.rerun()
    if is_bundle:
        assert mapping is not None

        def save_bundle(components: tuple[BundleComponent, ...]) -> list[Issue]:
            return _save_bundle(db, integration, keys, sku, components, titles.get(sku, ""))

        bundle_editor.render(sku, mapping, index, scope=keys.scope, on_save=save_bundle)


def _save_bundle(db: Database, integration: Integration, keys: _Keys, sku: str,
                 components: tuple[BundleComponent, ...], title: str) -> list[Issue]:
    """Store one bundle at once (with the version check); the rest of the draft stays unsaved."""
    from services.records import error
    from services.storage.mappings import save_mappings

    ss = st.session_state
    try:
        new_version = save_mappings(db, integration, {sku: bundle_mapping(sku, components, title)}, who=state.current_user(),
                                    expected_version=ss[keys.base])
    except ConcurrentEdit as exc:
        ss.setdefault(keys.draft, {})[sku] = bundle_mapping(sku, components, title)
        ss[keys.conflict] = exc.message
        return [error(f"Bundle {sku} was not saved: {exc.message}")]
    except BadInput as exc:
        return [error(exc.message)]
    ss[keys.base] = new_version
    ss.setdefault(keys.draft, {}).pop(sku, None)
    ss[keys.flash] = f"Saved bundle {sku}."
    return []


def _upload(db: Database, integration: Integration, keys: _Keys, saved: dict[str, Mapping],
            items: list[QboItem], has_pending: bool) -> None:
    from services.excel import import_workbook
    from services.storage.mappings import save_mappings

    ss = st.session_state
    with st.expander("Upload an edited mapping workbook", icon=":material/upload:", key="map_upload_open"):
        st.caption("All or nothing: when any row has a problem, nothing changes and every problem is listed.")
        upload = st.file_uploader("Mapping workbook (.xlsx)", type=["xlsx"],
                                  key=f"map_upload_{ss.get(keys.gen, 0)}")
        if st.button("Import workbook", key="map_import", disabled=upload is None):
            if has_pending:
                st.error("Save or discard your unsaved changes first.", icon=":material/block:")
                return
            assert upload is not None
            result = import_workbook(upload.getvalue(), current=saved, items=items, file_name=upload.name)
            if not result.ok:
                st.error(f"{upload.name} was not imported; nothing changed.", icon=":material/block:")
                show_issues(result.issues, key="map_upload")
                return
            try:
                new_version = save_mappings(db, integration, result.changes, who=state.current_user(),
                                            expected_version=ss[keys.base]) if result.changes else ss[keys.base]
            except ConcurrentEdit as exc:
                show_error(exc)
                return
            ss[keys.base] = new_version
            ss[keys.gen] = ss.get(keys.gen, 0) + 1
            warnings = [i for i in result.issues]
            ss[keys.flash] = f"Imported {upload.name}: {len(result.changes):,} mapping(s) changed."
            if warnings:
                ss[keys.issues] = warnings
            st.rerun()


def _account_names(accounts: list[QboAccount], account_type: str, preferred: str) -> list[str]:
    names = sorted({a.name for a in accounts if a.account_type == account_type and a.active})
    if preferred not in names:
        names.insert(0, preferred)  # created on demand with the standard type
    names.remove(preferred)
    return [preferred, *names]


def _create_items(db: Database, client: Client, integration: Integration, keys: _Keys, rows: list[Row],
                  index: ItemIndex, saved: dict[str, Mapping], titles: dict[str, str]) -> None:
    from services.item_creation import create_items
    from services.mapping import validate_new_items

    ss = st.session_state
    unmapped = [r for r in rows if mapping_status(r.mapping, index)[0] is not MappingStatus.MAPPED]
    with st.expander("Create items in QuickBooks from unmapped SKUs", icon=":material/add_box:",
                     key="map_create_open"):
        if not unmapped:
            st.caption("Every channel product is mapped.")
            return
        by_sku = {r.sku: r for r in unmapped}
        chosen = st.multiselect("Unmapped SKUs", list(by_sku), key=f"map_create_skus_{ss.get('map_create_gen', 0)}",
                                format_func=lambda s: f"{s} · {titles.get(s, '')}"[:100])
        if not chosen:
            st.caption("Choose one or more SKUs: each becomes a new inventory item, mapped at once.")
            return
        frame = create_frame([by_sku[s] for s in chosen if s in by_sku])
        edited = st.data_editor(
            frame, key=f"map_create_editor_{'|'.join(chosen)}", hide_index=True, width="stretch",
            disabled=[COL_C_SKU, COL_C_FIRST],
            column_config={
                COL_C_NAME: st.column_config.TextColumn(COL_C_NAME, required=True, max_chars=100,
                                                        help="Unique among the company's QuickBooks items"),
                COL_C_ITEM_SKU: st.column_config.TextColumn(COL_C_ITEM_SKU, help="Optional"),
                COL_C_QTY: st.column_config.TextColumn(COL_C_QTY),
                COL_C_AS_OF: st.column_config.DateColumn(COL_C_AS_OF, format="YYYY-MM-DD", required=True,
                                                         help="Must be before the SKU's first sale"),
                COL_C_COST: st.column_config.TextColumn(COL_C_COST),
                COL_C_FIRST: st.column_config.DateColumn(COL_C_FIRST, format="YYYY-MM-DD"),
            })
        try:
            accounts = qbo_accounts(db.url, client.id, client.sandbox_url, client.realm_id, db)
        except SettlebridgeError as exc:
            show_error(exc)
            return
        a1, a2, a3 = st.columns(3)
        income = a1.selectbox("Income account", _account_names(accounts, "Income", "Sales of Product Income"),
                              key="map_create_income")
        cogs = a2.selectbox("Expense account", _account_names(accounts, "Cost of Goods Sold", "Cost of Goods Sold"),
                            key="map_create_cogs")
        asset = a3.selectbox("Inventory asset account",
                             _account_names(accounts, "Other Current Asset", "Inventory Asset"), key="map_create_asset")
        if st.button(f"Create {len(chosen)} item(s) and map them", type="primary", key="map_create_go"):
            new, issues = frame_to_new_items(edited, income_account=str(income), expense_account=str(cogs),
                                             asset_account=str(asset))
            firsts: dict[str, dt.date | None] = {r.sku: r.first_date for r in unmapped}
            issues += validate_new_items(new, index.items, firsts)
            if issues:
                st.error("No item was created.", icon=":material/block:")
                show_issues(issues, key="map_create")
                return
            base_before = ss[keys.base]
            from services.storage.mappings import mapping_version

            version_before = mapping_version(db, integration)
            result = create_items(db, client, new, who=state.current_user(), integration=integration)
            qbo_items.clear()
            if result.version is not None and base_before == version_before:
                ss[keys.base] = result.version
            for sku in result.mapped:
                ss.setdefault(keys.draft, {}).pop(sku, None)
            if result.issues:
                ss[keys.issues] = list(result.issues)
            names = ", ".join(i.name for i in result.created)
            if result.created:
                ss[keys.flash] = f"Created {len(result.created)} item(s) in QuickBooks and mapped them: {names}."
            else:
                ss[keys.flash + "_refused"] = "No item was created: QuickBooks refused it (the reason is below)."
            ss["map_create_gen"] = ss.get("map_create_gen", 0) + 1  # a fresh, empty choice
            st.rerun()


def _history(db: Database, integration: Integration) -> None:
    import pandas as pd

    from services.mapping import describe
    from services.storage.mappings import list_history

    with st.expander("History of mapping changes", icon=":material/history:", key="map_history_open"):
        entries = list_history(db, integration, limit=500)
        if not entries:
            st.caption("No change yet.")
            return
        st.dataframe(pd.DataFrame({
            "When (UTC)": [e.at.strftime("%Y-%m-%d %H:%M:%S") for e in entries],
            "Who": [e.who for e in entries], "SKU": [e.sku for e in entries],
            "Before": [describe(e.before) for e in entries], "After": [describe(e.after) for e in entries],
        }), hide_index=True, width="stretch", key="map_history", column_config={
            "When (UTC)": st.column_config.TextColumn(width=140), "Who": st.column_config.TextColumn(width=60),
            "SKU": st.column_config.TextColumn(width=140), "Before": st.column_config.TextColumn(width=250),
            "After": st.column_config.TextColumn(width=330, help="An item, or bundle: quantity × item (percentage)")})
