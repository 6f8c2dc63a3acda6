"""Truth files: present, consistent with the raw files, and the anomalies are real."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

import polars as pl
import pytest

from ledgerlab.generator import generate


def _rows(lines):
    return [line.split(";") for line in lines[1:]]


def test_loans_truth_matches_loan_file(clean_run, lines_of):
    out, summary = clean_run
    truth = pl.read_parquet(out / "_truth" / "loans.parquet")
    for col in (
        "loan_id",
        "account_id",
        "loan_date",
        "true_pd",
        "is_default",
        "status",
        "mean_monthly_inflow",
        "income_cv",
        "balance_std",
        "negative_balance_count",
        "instalment_ratio",
        "unemployment",
        "hidden_risk",
    ):
        assert col in truth.columns
    loans = {r[0]: r for r in _rows(lines_of(out / "loan.asc"))}
    assert truth.height == len(loans) == summary.n_loans > 0
    for row in truth.iter_rows(named=True):
        raw = loans[str(row["loan_id"])]
        assert raw[1] == str(row["account_id"])
        assert raw[2] == row["loan_date"].strftime("%y%m%d")
        assert raw[6].strip('"') == row["status"]
        assert row["is_default"] == (row["status"] in ("B", "D"))
        assert 0 < row["true_pd"] < 1
        finished = row["status"] in ("A", "B")
        end = row["loan_date"].replace(day=1)
        months = end.month - 1 + int(raw[4])
        end_month = dt.date(end.year + months // 12, months % 12 + 1, 1)
        assert finished == (end_month <= dt.date(1998, 12, 1))


def test_loans_have_pre_loan_history(clean_run, lines_of):
    out, _ = clean_run
    opened = {r[0]: r[3] for r in _rows(lines_of(out / "account.asc"))}
    for r in _rows(lines_of(out / "loan.asc")):
        a = dt.datetime.strptime(opened[r[1]], "%y%m%d").date()
        d = dt.datetime.strptime(r[2], "%y%m%d").date()
        assert (d - a).days >= 150


def test_cards_truth_population_and_outcome(clean_run, lines_of):
    out, _ = clean_run
    truth = pl.read_parquet(out / "_truth" / "cards.parquet")
    assert truth.columns == ["disp_id", "client_id", "account_id", "reference_date", "true_probability", "took_card"]
    disp = {r[0]: r for r in _rows(lines_of(out / "disp.asc"))}
    cards = {r[1]: r[3][:6] for r in _rows(lines_of(out / "card.asc"))}
    assert truth["disp_id"].is_unique().all()
    for row in truth.iter_rows(named=True):
        d = disp[str(row["disp_id"])]
        assert d[3] == '"OWNER"' and d[2] == str(row["account_id"]) and d[1] == str(row["client_id"])
        issued = cards.get(str(row["disp_id"]))
        assert issued is None or issued >= "980101", "population has no card before the reference date"
        assert row["took_card"] == (issued is not None)
    owners_with_early_card = {k for k, v in cards.items() if v < "980101"}
    assert not owners_with_early_card & set(map(str, truth["disp_id"]))
    assert 0.02 < truth["took_card"].mean() < 0.4


def test_anomalies_are_real_in_the_transactions(clean_run, lines_of):
    out, summary = clean_run
    truth = pl.read_parquet(out / "_truth" / "anomalies.parquet")
    assert truth.columns == ["account_id", "kind", "start_date", "end_date", "description"]
    assert set(truth["kind"]) == {
        "large_cash_withdrawal",
        "new_counterparty_burst",
        "salary_stop",
        "dormant_reactivation",
    }
    assert summary.n_anomalous_accounts == truth.height
    tx = defaultdict(list)
    for r in _rows(lines_of(out / "trans.asc")):
        tx[int(r[1])].append(
            (
                dt.datetime.strptime(r[2], "%y%m%d").date(),
                r[3].strip('"'),
                r[4].strip('"'),
                float(r[5]),
                r[7].strip('"'),
                r[9],
            )
        )
    for row in truth.iter_rows(named=True):
        rows = tx[row["account_id"]]
        start, end = row["start_date"], row["end_date"]
        if row["kind"] == "large_cash_withdrawal":
            cash = [a for d, t, op, a, k, _ in rows if op == "VYBER" and k == ""]
            big = [a for d, t, op, a, k, _ in rows if d == start and op == "VYBER"]
            assert big and max(big) >= 8 * statistics.median(cash)
        elif row["kind"] == "new_counterparty_burst":
            burst = [acc for d, t, op, a, k, acc in rows if start <= d <= end and op == "PREVOD NA UCET" and k == ""]
            before = {acc for d, t, op, a, k, acc in rows if d < start}
            assert len(burst) >= 7 and not set(burst) & before
            assert (end - start).days <= 3
        elif row["kind"] == "salary_stop":
            salary = [d for d, t, op, a, k, _ in rows if op == "PREVOD Z UCTU" and k == ""]
            assert salary and max(salary) < start
            assert len([d for d in salary if d < start]) >= 6
            assert (dt.date(1998, 12, 31) - start).days >= 180
        elif row["kind"] == "dormant_reactivation":
            quiet = [d for d, *_ in rows if start <= d < end]
            assert quiet == [] and (end - start).days >= 180
            after = [a for d, t, op, a, k, _ in rows if d == end]
            assert after and max(after) >= 50_000


def test_at_least_one_anomaly_per_kind_from_1000_accounts(tmp_path):
    s = generate(tmp_path, accounts=1000, seed=4, clean=True)
    truth = pl.read_parquet(tmp_path / "_truth" / "anomalies.parquet")
    assert truth["kind"].n_unique() == 4 and s.n_anomalous_accounts >= 4


def test_row_counts_grow_linearly(tmp_path):
    small = generate(tmp_path / "s", accounts=200, seed=8, clean=True)
    large = generate(tmp_path / "l", accounts=400, seed=8, clean=True)
    for table in ("account", "client", "disp", "order", "trans"):
        ratio = large.rows[table] / small.rows[table]
        assert 1.7 < ratio < 2.3, (table, ratio)


def test_summary_lines(clean_run):
    _, s = clean_run
    text = "\n".join(s.lines())
    assert "default rate" in text and "oracle ROC AUC" in text
    assert s.accounts == 400 and s.rows["account"] == 400 and s.seconds > 0


def test_parquet_output(tmp_path):
    s = generate(tmp_path, accounts=150, seed=2, file_format="parquet")
    for table in ("account", "client", "disp", "order", "loan", "card", "district", "trans"):
        df = pl.read_parquet(tmp_path / f"{table}.parquet")
        assert df.height == s.rows[table]
    trans = pl.read_parquet(tmp_path / "trans.parquet")
    assert trans.columns == [
        "trans_id",
        "account_id",
        "date",
        "type",
        "operation",
        "amount",
        "balance",
        "k_symbol",
        "bank",
        "account",
    ]
    assert trans.schema["date"] == pl.Date and trans.schema["amount"] == pl.Float64
    assert (tmp_path / "digital_events.jsonl").exists()
    d = pl.read_parquet(tmp_path / "_truth" / "defects.parquet")
    assert not set(d["kind"]) & {"malformed_date", "comma_decimal"}


@pytest.mark.slow
def test_default_size_targets(tmp_path):
    """N = 4,500: ~1 M transactions, default rate 8-15 %, oracle AUC 0.75-0.92, every defect kind present."""
    from ledgerlab.generator import DEFECT_KINDS

    s = generate(tmp_path, accounts=4500, seed=42)
    assert 0.08 <= s.default_rate <= 0.15
    assert 0.75 <= s.oracle_roc_auc <= 0.92
    assert 550 <= s.n_loans <= 820
    assert 0.8e6 <= s.rows["trans"] <= 1.3e6
    assert set(s.defects_by_kind) == set(DEFECT_KINDS)
    assert 4 <= s.n_anomalous_accounts <= 10
