"""Importing uploads: parse, duplicates, replacement, nothing half-stored; the ``import`` and
``settlements list`` commands through ``services.cli.main``."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from services import importing
from services.cli import main
from services.records import Channel, Client, Integration, SettlementStatus
from services.settlements import parse_upload
from services.storage import Database, open_database
from services.storage import clients as clients_repo
from services.storage import settlements as repo
from tests.settlement_factory import V2_LINES, amazon_v2_file


@pytest.fixture
def setup(db: Database) -> tuple[Database, Client, Integration]:
    client = clients_repo.add_client(db, "Acme Books", kind="sandbox", realm_id="9130")
    return db, client, clients_repo.add_integration(db, client, "Amazon US", Channel.AMAZON)


def test_import__stores_the_parsed_settlement_exactly(setup: tuple[Database, Client, Integration]) -> None:
    db, client, integration = setup
    data = amazon_v2_file()
    outcome = importing.import_files(db, client, integration, [("march.txt", data)], who="alice")
    assert outcome.status == "ok" and outcome.issues == ()
    [one] = outcome.settlements
    assert (one.settlement_id, one.status, one.stored, one.replaced, one.files) == (
        "24688812345", "ready", True, False, ("march.txt",))
    assert (one.summary["total"], one.summary["rows"], one.summary["orders"]) == ("53.17", 15, 3)
    parsed = parse_upload([("march.txt", data)])[0].settlement
    assert repo.load_settlement(db, integration, "24688812345") == parsed
    info = repo.get_settlement_info(db, integration, "24688812345")
    assert (info.status, str(info.total), info.created_by) == (SettlementStatus.READY, "53.17", "alice")
    assert [e.what for e in repo.list_events(db, integration)] == ["imported", "4 document(s) built, ready to post"]


def test_import__same_file_again_is_refused_before_parsing(setup: tuple[Database, Client, Integration]) -> None:
    db, client, integration = setup
    importing.import_files(db, client, integration, [("march.txt", amazon_v2_file())], who="alice")
    outcome = importing.import_files(db, client, integration, [("copy of march.txt", amazon_v2_file())],
                                     who="bob")
    assert outcome.status == "duplicate"
    [one] = outcome.settlements
    assert (one.settlement_id, one.status, one.stored, one.summary) == ("24688812345", "duplicate", False, {})
    [issue] = one.issues
    assert issue.file == "copy of march.txt" and issue.code == "duplicate"
    assert issue.message.startswith("File 'copy of march.txt' was already imported as 'march.txt' on ")
    assert issue.message.endswith("by alice (settlement 24688812345, status ready).")


def test_import__same_settlement_other_bytes_is_refused(setup: tuple[Database, Client, Integration]) -> None:
    db, client, integration = setup
    importing.import_files(db, client, integration, [("march.txt", amazon_v2_file())], who="alice")
    edited = amazon_v2_file(lines=V2_LINES[:-1])  # same settlement id, one line fewer
    outcome = importing.import_files(db, client, integration, [("march-v2.txt", edited)], who="bob")
    [one] = outcome.settlements
    assert one.status == "duplicate" and one.summary["total"] == "93.16"
    message = one.issues[-1].message
    assert message.startswith("Settlement 24688812345 was already imported on ")
    assert "by alice from 'march.txt'" in message and message.endswith("import again with replace.")
    assert repo.get_settlement_info(db, integration, "24688812345").row_count == 15


def test_import__replace_before_posting(setup: tuple[Database, Client, Integration]) -> None:
    db, client, integration = setup
    importing.import_files(db, client, integration, [("march.txt", amazon_v2_file())], who="alice")
    edited = amazon_v2_file(lines=V2_LINES[:-1])
    outcome = importing.import_files(db, client, integration, [("march-v2.txt", edited)], who="bob",
                                     replace=True)
    [one] = outcome.settlements
    assert (outcome.status, one.status, one.stored, one.replaced) == ("ok", "ready", True, True)
    info = repo.get_settlement_info(db, integration, "24688812345")
    assert (info.row_count, str(info.total), info.source_files) == (14, "93.16", ("march-v2.txt",))
    assert [(e.who, e.what) for e in repo.list_events(db, integration)] == [
        ("alice", "imported"), ("alice", "4 document(s) built, ready to post"), ("bob", "replaced"),
        ("bob", "4 document(s) built, ready to post")]
    # the very same file again, with replace: allowed too (it re-reads the file)
    again = importing.import_files(db, client, integration, [("march-v2.txt", edited)], who="bob", replace=True)
    assert again.settlements[0].replaced and again.status == "ok"


def test_import__replace_after_posting_is_refused(setup: tuple[Database, Client, Integration]) -> None:
    db, client, integration = setup
    importing.import_files(db, client, integration, [("march.txt", amazon_v2_file())], who="alice")
    repo.set_status(db, integration, "24688812345", SettlementStatus.POSTED)
    outcome = importing.import_files(db, client, integration, [("march.txt", amazon_v2_file())], who="bob",
                                     replace=True)
    [one] = outcome.settlements
    assert (outcome.status, one.status, one.stored) == ("duplicate", "duplicate", False)
    assert "cannot be replaced: its status is posted (it is being posted or has been posted to QuickBooks)" in one.issues[-1].message
    assert repo.get_settlement_info(db, integration, "24688812345").status is SettlementStatus.POSTED


def test_import__a_file_with_an_error_stores_nothing_of_it(setup: tuple[Database, Client, Integration]) -> None:
    db, client, integration = setup
    wrong_total = amazon_v2_file("111", total="60.00")
    good = amazon_v2_file("222")
    outcome = importing.import_files(db, client, integration,
                                     [("wrong.txt", wrong_total), ("good.txt", good), ("junk.bin", b"\x00\xff" * 50)],
                                     who="alice")
    assert outcome.status == "error"
    by_id = {s.settlement_id: s for s in outcome.settlements}
    assert (by_id["111"].status, by_id["111"].stored) == ("rejected", False)
    assert by_id["111"].issues[0].code == "total_mismatch" and "60.00" in by_id["111"].issues[0].message
    assert by_id["111"].issues[-1].message.startswith("Settlement 111 was not imported: nothing of it was stored.")
    assert (by_id["222"].status, by_id["222"].stored) == ("ready", True)
    junk = by_id[""]
    assert junk.files == ("junk.bin",) and junk.issues[0].file == "junk.bin"
    assert [s.settlement_id for s in repo.list_settlements(db, integration)] == ["222"]
    # after fixing the file, it imports (nothing of the failed attempt is in the way)
    fixed = importing.import_files(db, client, integration, [("wrong.txt", amazon_v2_file("111"))], who="alice")
    assert fixed.status == "ok"


def test_import__the_real_amazon_samples(samples: Path, sqlite_db: Database) -> None:
    client = clients_repo.add_client(sqlite_db, "C", kind="sandbox")
    integration = clients_repo.add_integration(sqlite_db, client, "Amazon", Channel.AMAZON)
    names = ["Amazon-Settlement-Transformer__50018020314.txt", "utils_py_scripts__amazon_de_v2_settlement_snippet.txt"]
    files = [(n, (samples / n).read_bytes()) for n in names]
    outcome = importing.import_files(sqlite_db, client, integration, files, who="alice")
    assert outcome.status == "ok", outcome.issues
    for (name, data), result in zip(files, outcome.settlements, strict=True):
        parsed = parse_upload([(name, data)])[0].settlement
        assert parsed is not None and result.settlement_id == parsed.settlement_id and result.stored
        assert repo.load_settlement(sqlite_db, integration, parsed.settlement_id) == parsed
    assert outcome.settlements[0].summary["total"] == "-62.31"


MONEY_CASES = [
    ({"product_sale": "10.00", "shipping": "1.00", "gift_wrap": "0.50", "fee:commission": "-1.50"},
     [("Product sales", "10.00"), ("Shipping and gift wrap", "1.50"), ("Fees: commission", "-1.50")]),
    ({"product_refund": "-5.00", "tax_collected": "0.40", "tax_withheld": "-0.40", "something_new": "2.00"},
     [("Refunds", "-5.00"), ("Tax collected", "0.40"), ("Tax withheld by the marketplace", "-0.40"),
      ("Other", "2.00")]),
    ({}, []),
]


@pytest.mark.parametrize(("by_category", "expected"), MONEY_CASES)
def test_where_the_money_went__groups_every_category_once(by_category: dict[str, str],
                                                         expected: list[tuple[str, str]]) -> None:
    groups = importing.where_the_money_went({"by_category": by_category})
    assert [(label, str(v)) for label, v in groups] == expected
    assert sum((v for _, v in groups), Decimal("0")) == sum((Decimal(v) for v in by_category.values()), Decimal("0"))


def test_fees_total__only_fees() -> None:
    assert str(importing.fees_total({"by_category": {"fee:commission": "-1.25", "fee:other": "-0.10",
                                                     "product_sale": "9.00"}})) == "-1.35"


# --- the command-line twin --------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    db = open_database(url)
    client = clients_repo.add_client(db, "Acme Books", kind="sandbox")
    clients_repo.add_integration(db, client, "Amazon US", Channel.AMAZON)
    db.engine.dispose()
    return url


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def test_cli_import__json_and_exit_codes(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "march.txt"
    good.write_bytes(amazon_v2_file())
    code, out = _run(capsys, "--db", cli_db, "import", "Acme Books", "Amazon US", str(good), "--json")
    assert code == 0 and out["status"] == "ok" and out["issues"] == []
    [s] = out["settlements"]
    assert (s["settlement_id"], s["status"], s["total"], s["rows"], s["currency"]) == (
        "24688812345", "ready", "53.17", 15, "USD")
    assert s["skus"]["MUG-BLUE"] == {"sold": 2, "refunded": 1, "title": ""}
    assert s["by_category"]["fee:subscription"] == "-39.99"

    code, out = _run(capsys, "--db", cli_db, "--json", "import", "Acme Books", "Amazon US", str(good))
    assert code == 2 and out["status"] == "duplicate"
    assert out["issues"][0]["file"] == "march.txt" and "already imported" in out["error"]

    code, out = _run(capsys, "--db", cli_db, "--json", "import", "Acme Books", "Amazon US", str(good), "--replace")
    assert code == 0 and out["settlements"][0]["replaced"] is True

    code, out = _run(capsys, "--db", cli_db, "--json", "settlements", "list", "Acme Books", "Amazon US")
    assert code == 0
    [row] = out["settlements"]
    assert (row["settlement_id"], row["status"], row["total"], row["start"], row["end"], row["deposit_date"],
            row["rows"], row["version"]) == ("24688812345", "ready", "53.17", "2026-03-01", "2026-03-15",
                                             "2026-03-17", 15, 4)


def test_cli_import__bad_input_exits_2(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.txt"
    code, out = _run(capsys, "--db", cli_db, "--json", "import", "Acme Books", "Amazon US", str(missing))
    assert code == 2 and out["status"] == "error" and out["settlements"] == []
    assert out["issues"][0]["code"] == "unreadable" and "cannot read the file" in out["error"]

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, out = _run(capsys, "--db", cli_db, "--json", "import", "Acme Books", "Amazon US", str(empty))
    assert code == 2 and out["issues"] == [{"severity": "error", "file": "empty.csv", "row": None,
                                            "message": "the file is empty", "code": "empty"}]

    code, out = _run(capsys, "--db", cli_db, "--json", "import", "Nobody", "Amazon US", str(empty))
    assert code == 2 and out["error"] == "No client named 'Nobody'."

    code, out = _run(capsys, "--db", cli_db, "--json", "settlements", "list", "Acme Books", "Amazon US")
    assert out["settlements"] == []


def test_cli_import__text_output(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "march.txt"
    good.write_bytes(amazon_v2_file())
    assert main(["--db", cli_db, "import", "Acme Books", "Amazon US", str(good)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("ready: settlement 24688812345 (amazon_v2) 2026-03-01..2026-03-15, deposit 2026-03-17, "
                           "total 53.17 USD, 15 rows, 3 orders, 1 refunds")


def test_import__a_companion_export_may_serve_several_payouts(setup: tuple[Database, Client, Integration]) -> None:
    db, client, _ = setup
    shopify = clients_repo.add_integration(db, client, "Shopify", Channel.SHOPIFY)
    fixtures = Path(__file__).resolve().parent / "fixtures"
    payouts = (fixtures / "shopify_payouts.csv").read_bytes()
    orders = ("orders_export.csv", (fixtures / "shopify_orders.csv").read_bytes())
    first = importing.import_files(db, client, shopify, [("payouts-0403.csv", payouts), orders], who="alice")
    assert first.status == "ok" and [s.settlement_id for s in first.stored] == ["shopify-20260403"]
    # next week's payout with the very same orders export: not a duplicate
    next_week = payouts.replace(b"2026-04-03", b"2026-04-10")
    second = importing.import_files(db, client, shopify, [("payouts-0410.csv", next_week), orders], who="alice")
    assert second.status == "ok" and [s.settlement_id for s in second.stored] == ["shopify-20260410"]
    seen = repo.find_imported_files(db, shopify, [importing.sha256(orders[1])])
    assert [s.settlement_id for s in seen] == ["shopify-20260403", "shopify-20260410"]
    # the same pair again is a duplicate, named file by file
    again = importing.import_files(db, client, shopify, [("payouts-0410.csv", next_week), orders], who="bob")
    assert again.status == "duplicate" and not again.stored
    assert [s.settlement_id for s in again.settlements] == ["shopify-20260410"]
    assert {i.file for i in again.issues} == {"payouts-0410.csv", "orders_export.csv"}
    # the orders export alone is not a settlement: the parser says what it needs
    alone = importing.import_files(db, client, shopify, [orders], who="bob")
    assert alone.status == "error" and alone.issues[0].code == "companion_alone"
