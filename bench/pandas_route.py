"""The usual alternative to ledgerlab, for P3: pandas from the raw files to loan_features, then the model.

    python -m bench.pandas_route --raw DIR [--out loan_features.parquet] [--no-fit]

What a data scientist without a warehouse writes: ``pd.read_csv`` every
file as text, apply the same cleaning as staging (parse, repair codes,
reject bad rows, drop duplicate rows and orphan foreign keys), ``json.loads``
the digital events line by line, then ``merge`` + ``groupby`` to the same
``loan_features`` as marts.loan_features (checked by bench/equivalence.py),
and finally the same scikit-learn fit as ledgerlab's route
(``bench.model_fit.fit_loan_default``). Everything lives in memory, which
is the point: the route needs RAM in proportion to the data.

Known differences, none of which occur in generated data: pandas reads a
quoted empty field (``""``) as missing like an unquoted one (DuckDB keeps an
empty string, which only matters for duplicate detection); ids and numbers
are parsed with ``pd.to_numeric``, a little stricter than DuckDB's
``try_cast`` (``0x10``, ``1_000``).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ledgerlab.core import config

DATA_END = pd.Timestamp("1998-12-31")
TRANS_TYPES = {"PRIJEM": "credit", "VYDAJ": "debit", "VYBER": "debit"}
OPERATIONS = {
    "VYBER KARTOU": "card_withdrawal",
    "VKLAD": "cash_deposit",
    "PREVOD Z UCTU": "collection_from_other_bank",
    "VYBER": "cash_withdrawal",
    "PREVOD NA UCET": "remittance_to_other_bank",
}
K_SYMBOLS = {
    "POJISTNE": "insurance",
    "SIPO": "household",
    "LEASING": "leasing",
    "UVER": "loan_payment",
    "SLUZBY": "statement_fee",
    "UROK": "interest_credited",
    "SANKC. UROK": "penalty_interest",
    "DUCHOD": "pension",
}
FREQUENCIES = {"POPLATEK MESICNE": "monthly", "POPLATEK TYDNE": "weekly", "POPLATEK PO OBRATU": "after_transaction"}
EVENT_TYPES = {"login", "payment_initiated", "card_block", "limit_change", "password_reset", "statement_view"}


# --- parsing, as the staging macros -----------------------------------------------------------


def read_berka(path: Path) -> pd.DataFrame:
    df = pd.read_csv(
        path, sep=";", quotechar='"', dtype=str, keep_default_na=False, na_values=[""], on_bad_lines="skip"
    )
    df.columns = [c.strip().lower() for c in df.columns]
    df["line"] = np.arange(len(df)) + 2
    return df


def parse_id(s: pd.Series) -> pd.Series:
    n = pd.to_numeric(s.str.strip(), errors="coerce")
    return n.where(n == np.floor(n)).astype("Int64")


def parse_float(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.str.strip().str.replace(",", ".", regex=False), errors="coerce").astype("float64")


def parse_amount(s: pd.Series) -> pd.Series:
    """decimal(18, 2): rounded half away from zero to cents, kept as float."""
    v = parse_float(s)
    v = v.where(np.isfinite(v))
    return np.sign(v) * np.floor(np.abs(v) * 100 + 0.5) / 100


def parse_yymmdd(s: pd.Series) -> pd.Series:
    t = s.str.strip()
    ok = t.str.fullmatch(r"[0-9]{6}( 00:00:00)?").fillna(False).astype(bool)
    return pd.to_datetime("19" + t.str.slice(0, 6).where(ok), format="%Y%m%d", errors="coerce")


def clean_code(s: pd.Series, case: str = "upper") -> pd.Series:
    t = s.str.strip()
    t = t.str.upper() if case == "upper" else t.str.lower()
    return t.where(t != "")


def is_blank(s: pd.Series) -> pd.Series:
    t = s.str.strip()
    return (t.isna() | (t == "")).astype(bool)


def flag(s: pd.Series) -> pd.Series:
    """A condition series with NULL read as false (bool)."""
    return s.fillna(False).astype(bool)


def not_in(s: pd.Series, values) -> pd.Series:
    """coalesce(s not in values, true): NULL counts as out of domain."""
    return (~s.isin(list(values)) | s.isna()).astype(bool)


def not_in_or_null_ok(s: pd.Series, values) -> pd.Series:
    """coalesce(s not in values, false): NULL is allowed."""
    return (~s.isin(list(values)) & s.notna()).astype(bool)


def verdict(df: pd.DataFrame, raw_cols: list[str], rejected: pd.Series) -> pd.Series:
    """Not rejected and the first copy of exact duplicates (foreign keys are checked by the caller)."""
    dup = df.duplicated(subset=raw_cols, keep="first").to_numpy()
    return pd.Series(~rejected.to_numpy() & ~dup, index=df.index)


def pseudonymize(ids: pd.Series, key: str) -> pd.Series:
    k = key.encode()
    return ids.map(lambda v: None if pd.isna(v) else hmac.new(k, str(int(v)).encode(), hashlib.sha256).hexdigest())


# --- tables ---------------------------------------------------------------------------------


def districts(raw: Path) -> pd.DataFrame:
    df = read_berka(raw / "district.asc")
    out = pd.DataFrame({"district_id": parse_id(df["a1"])})
    for col, name in (
        ("a10", "urban_ratio_pct"),
        ("a11", "avg_salary"),
        ("a12", "unemployment_rate_1995"),
        ("a13", "unemployment_rate_1996"),
    ):
        out[name] = parse_float(df[col].where(df[col] != "?"))
    out["is_clean"] = verdict(df, [f"a{i}" for i in range(1, 17)], out["district_id"].isna())
    return out


def accounts(raw: Path, district_ids: pd.Series) -> pd.DataFrame:
    df = read_berka(raw / "account.asc")
    freq = clean_code(df["frequency"])
    out = pd.DataFrame(
        {
            "account_id": parse_id(df["account_id"]),
            "district_id": parse_id(df["district_id"]),
            "statement_frequency": freq.map(FREQUENCIES),
            "opened_date": parse_yymmdd(df["date"]),
        }
    )
    rejected = (
        out["account_id"].isna()
        | out["district_id"].isna()
        | out["opened_date"].isna()
        | not_in(freq, FREQUENCIES)
        | flag(out["opened_date"] > DATA_END)
    )
    out["is_clean"] = verdict(df, ["account_id", "district_id", "frequency", "date"], rejected)
    out["is_clean"] &= out["district_id"].isna() | out["district_id"].isin(district_ids.dropna().unique())
    return out


def clients(raw: Path, district_ids: pd.Series) -> pd.DataFrame:
    df = read_berka(raw / "client.asc")
    b = df["birth_number"].str.strip()
    month = pd.to_numeric(b.str.slice(2, 4), errors="coerce")
    fixed = b.str.slice(0, 2) + (month - 50 * (month > 50)).astype("Int64").astype(str).str.zfill(2) + b.str.slice(4, 6)
    birth = parse_yymmdd(fixed.where(b.str.len() == 6))
    out = pd.DataFrame(
        {
            "client_id": parse_id(df["client_id"]),
            "district_id": parse_id(df["district_id"]),
            "birth_date": birth,
            "gender": np.where(birth.isna(), None, np.where(flag(month > 50), "F", "M")),
        }
    )
    rejected = out["client_id"].isna() | out["district_id"].isna() | birth.isna() | flag(birth > DATA_END)
    out["is_clean"] = verdict(df, ["client_id", "birth_number", "district_id"], rejected)
    out["is_clean"] &= out["district_id"].isna() | out["district_id"].isin(district_ids.dropna().unique())
    return out


def dispositions(raw: Path, client_ids: pd.Series, account_ids: pd.Series) -> pd.DataFrame:
    df = read_berka(raw / "disp.asc")
    t = clean_code(df["type"])
    out = pd.DataFrame(
        {
            "disp_id": parse_id(df["disp_id"]),
            "client_id": parse_id(df["client_id"]),
            "account_id": parse_id(df["account_id"]),
            "disposition_type": t.where(t.isin(["OWNER", "DISPONENT"])),
        }
    )
    rejected = (
        out["disp_id"].isna() | out["client_id"].isna() | out["account_id"].isna() | not_in(t, ("OWNER", "DISPONENT"))
    )
    clean = verdict(df, ["disp_id", "client_id", "account_id", "type"], rejected)
    clean &= out["client_id"].isna() | out["client_id"].isin(client_ids.dropna().unique())
    clean &= out["account_id"].isna() | out["account_id"].isin(account_ids.dropna().unique())
    out["is_clean"] = clean
    return out


def loans(raw: Path, account_ids: pd.Series) -> pd.DataFrame:
    df = read_berka(raw / "loan.asc")
    status = clean_code(df["status"])
    duration = parse_float(df["duration"].str.replace(",", "#", regex=False))  # no comma repair for duration
    out = pd.DataFrame(
        {
            "loan_id": parse_id(df["loan_id"]),
            "account_id": parse_id(df["account_id"]),
            "loan_date": parse_yymmdd(df["date"]),
            "loan_amount": parse_amount(df["amount"]),
            "loan_duration_months": np.trunc(duration + np.sign(duration) * 0.5).astype("Int64"),
            "monthly_payment": parse_amount(df["payments"]),
            "loan_status": status,
            "is_default": status.isin(["B", "D"]),
        }
    )
    rejected = (
        out["loan_id"].isna()
        | out["account_id"].isna()
        | out["loan_date"].isna()
        | not_in(status, "ABCD")
        | ~flag(out["loan_amount"] > 0)
        | ~flag(out["monthly_payment"] > 0)
        | ~flag(duration > 0)
        | flag(out["loan_date"] > DATA_END)
    )
    clean = verdict(df, ["loan_id", "account_id", "date", "amount", "duration", "payments", "status"], rejected)
    clean &= out["account_id"].isna() | out["account_id"].isin(account_ids.dropna().unique())
    out["is_clean"] = clean
    return out


def cards(raw: Path, disp_ids: pd.Series) -> pd.DataFrame:
    df = read_berka(raw / "card.asc")
    t = clean_code(df["type"], "lower")
    out = pd.DataFrame({"disp_id": parse_id(df["disp_id"]), "issued_date": parse_yymmdd(df["issued"])})
    rejected = (
        parse_id(df["card_id"]).isna()
        | out["disp_id"].isna()
        | out["issued_date"].isna()
        | not_in(t, ("junior", "classic", "gold"))
        | flag(out["issued_date"] > DATA_END)
    )
    clean = verdict(df, ["card_id", "disp_id", "type", "issued"], rejected)
    clean &= out["disp_id"].isna() | out["disp_id"].isin(disp_ids.dropna().unique())
    out["is_clean"] = clean
    return out


def transactions(raw: Path, account_ids: pd.Series) -> pd.DataFrame:
    """The clean rows of trans.asc (fct_transactions' columns that loan_features uses)."""
    path = raw / "trans.asc" if (raw / "trans.asc").exists() else raw / "trans_head.asc"
    df = read_berka(path)
    raw_cols = [
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
    t, op, k = clean_code(df["type"]), clean_code(df["operation"]), clean_code(df["k_symbol"])
    amount = parse_amount(df["amount"])
    out = pd.DataFrame(
        {
            "account_id": parse_id(df["account_id"]),
            "trans_date": parse_yymmdd(df["date"]),
            "direction": t.map(TRANS_TYPES),
            "payment_purpose": k.map(K_SYMBOLS),
            "amount": amount,
            "balance_after": parse_amount(df["balance"]),
            "line": df["line"],
        }
    )
    balance_text_bad = ~is_blank(df["balance"]) & parse_float(df["balance"]).isna()
    rejected = (
        parse_id(df["trans_id"]).isna()
        | out["account_id"].isna()
        | out["trans_date"].isna()
        | not_in(t, TRANS_TYPES)
        | not_in_or_null_ok(op, OPERATIONS)
        | not_in_or_null_ok(k, K_SYMBOLS)
        | ~flag(amount > 0)
        | balance_text_bad
        | is_blank(df["balance"])
        | flag(out["trans_date"] > DATA_END)
    )
    clean = verdict(df, raw_cols, rejected)
    clean &= out["account_id"].isna() | out["account_id"].isin(account_ids.dropna().unique())
    del df
    out = out[clean.to_numpy()]
    out["trans_month"] = out["trans_date"].to_numpy().astype("datetime64[M]")
    return out


def events(raw: Path, client_ids: pd.Series) -> pd.DataFrame:
    """Clean digital events: client, date, type (json.loads line by line; malformed lines rejected)."""
    path = raw / "digital_events.jsonl"
    if not path.exists():
        return pd.DataFrame(
            {
                "client_id": pd.Series(dtype="Int64"),
                "event_date": pd.Series(dtype="datetime64[ns]"),
                "event_type": pd.Series(dtype=str),
            }
        )
    fields = ("event_id", "client_id", "schema_version", "event_time", "ts", "event_type", "channel", "amount")
    lines, records = [], []
    with path.open("r", encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            lines.append(line)
            try:
                obj = json.loads(line)
            except ValueError:
                obj = None
            if not isinstance(obj, dict):
                records.append((False,) + (None,) * len(fields))
                continue
            records.append((True, *(_json_text(obj.get(f)) for f in fields)))
    df = pd.DataFrame.from_records(records, columns=["is_object", *fields])
    df["raw_line"] = lines
    del lines, records
    etype = clean_code(df["event_type"].astype("str"), "lower")
    channel = clean_code(df["channel"].astype("str"), "lower")
    when = pd.to_datetime(df["event_time"].fillna(df["ts"]), format="ISO8601", errors="coerce")
    version = pd.to_numeric(df["schema_version"], errors="coerce")
    amount_text = df["amount"]
    client = parse_id(df["client_id"].astype("str"))
    rejected = (
        ~df["is_object"].astype(bool)
        | is_blank(df["event_id"].astype("str"))
        | client.isna()
        | when.isna()
        | not_in(etype, EVENT_TYPES)
        | not_in(channel, ("web", "mobile"))
        | not_in(version, (1, 2))
        | (amount_text.notna() & ~flag(parse_float(amount_text.astype("str")) > 0))
        | flag(when.dt.normalize() > DATA_END)
    )
    clean = ~rejected.to_numpy() & ~df.duplicated(subset=["raw_line"], keep="first").to_numpy()
    clean &= (client.isna() | client.isin(client_ids.dropna().unique())).to_numpy()
    return pd.DataFrame(
        {"client_id": client[clean], "event_date": when[clean].dt.normalize(), "event_type": etype[clean]}
    )


def _json_text(value):
    """What DuckDB's json_extract_string gives: strings as they are, other values as JSON text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":")) if isinstance(value, (dict, list, bool)) else str(value)


# --- loan_features ----------------------------------------------------------------------------


def whole_years(birth: pd.Series, as_of: pd.Series) -> pd.Series:
    years = as_of.dt.year - birth.dt.year
    before_birthday = (as_of.dt.month * 100 + as_of.dt.day) < (birth.dt.month * 100 + birth.dt.day)
    return (years - before_birthday.astype(int)).astype("Int64").where(birth.notna() & as_of.notna())


def age_band(age: pd.Series) -> pd.Series:
    bins = [-np.inf, 18, 25, 35, 45, 55, 65, np.inf]
    labels = ["<18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    return pd.cut(age.astype("float64"), bins=bins, labels=labels, right=False).astype(object).where(age.notna())


def loan_features(raw: Path, key: str) -> pd.DataFrame:
    dist = districts(raw)
    acc = accounts(raw, dist["district_id"])
    cli = clients(raw, dist["district_id"])
    disp = dispositions(raw, cli["client_id"], acc["account_id"])
    lo = loans(raw, acc["account_id"])
    crd = cards(raw, disp["disp_id"])
    trans = transactions(raw, acc["account_id"])
    ev = events(raw, cli["client_id"])

    # accounts with their owner (int_accounts_joined_to_owners)
    clean_disp = disp[disp["is_clean"]]
    owners = (
        clean_disp[clean_disp["disposition_type"] == "OWNER"]
        .merge(cli[cli["is_clean"]][["client_id", "gender", "birth_date"]], on="client_id", how="left")
        .sort_values(["account_id", "disp_id"])
        .drop_duplicates("account_id")
    )
    n_disp = clean_disp.groupby("account_id").size().rename("n_dispositions").reset_index()
    accounts_owned = (
        acc[acc["is_clean"]]
        .merge(owners[["account_id", "client_id", "gender", "birth_date"]], on="account_id", how="left")
        .merge(n_disp, on="account_id", how="left")
    )
    accounts_owned["n_dispositions"] = accounts_owned["n_dispositions"].fillna(0).astype("int64")

    clean_loans = lo[lo["is_clean"]].drop(columns="is_clean")
    spines = (
        clean_loans[["loan_id", "account_id", "loan_date"]]
        .merge(accounts_owned[["account_id", "client_id"]], on="account_id", how="left")
        .rename(columns={"loan_date": "as_of"})
    )

    # transaction history before the loan
    tb = spines[["loan_id", "account_id", "as_of"]].merge(trans, on="account_id", how="inner")
    tb = tb[tb["trans_date"] < tb["as_of"]]
    tb["credit_amount"] = tb["amount"].where(tb["direction"] == "credit", 0.0)
    tb["debit_amount"] = tb["amount"].where(tb["direction"] == "debit", 0.0)
    tb["last3"] = tb["credit_amount"].where(tb["trans_date"] >= tb["as_of"] - pd.DateOffset(months=3), 0.0)
    tb["negative"] = tb["balance_after"] < 0
    tb["penalty"] = tb["payment_purpose"] == "penalty_interest"
    g = tb.groupby("loan_id")
    history = pd.DataFrame(
        {
            "n_transactions": g.size(),
            "mean_balance": g["balance_after"].mean(),
            "std_balance": g["balance_after"].std(ddof=1),
            "min_balance": g["balance_after"].min(),
            "n_negative_balance": g["negative"].sum(),
            "n_penalty_interest": g["penalty"].sum(),
            "inflow_last_3m": g["last3"].sum(),
            "days_since_last_transaction": (g["as_of"].max() - g["trans_date"].max()).dt.days,
        }
    )
    last = tb.sort_values(["loan_id", "trans_date", "line"]).groupby("loan_id")["balance_after"].last()
    history["last_balance"] = last
    monthly = tb.groupby(["loan_id", "trans_month"])[["credit_amount", "debit_amount"]].sum()
    gm = monthly.groupby("loan_id")
    months = pd.DataFrame(
        {
            "history_months": gm.size(),
            "mean_monthly_inflow": gm["credit_amount"].mean(),
            "std_monthly_inflow": gm["credit_amount"].std(ddof=1),
            "mean_monthly_outflow": gm["debit_amount"].mean(),
        }
    )

    # digital engagement before the loan
    eb = spines[["loan_id", "client_id", "as_of"]].dropna(subset=["client_id"]).merge(ev, on="client_id", how="inner")
    eb = eb[eb["event_date"] < eb["as_of"]]
    age_days = (eb["as_of"] - eb["event_date"]).dt.days
    login = eb["event_type"] == "login"
    eb = eb.assign(
        l90=login & (age_days <= 90),
        p90=login & (age_days > 90) & (age_days <= 180),
        e180=age_days <= 180,
        r180=(eb["event_type"] == "password_reset") & (age_days <= 180),
        login_date=eb["event_date"].where(login),
    )
    ge = eb.groupby("loan_id")
    digital = pd.DataFrame(
        {
            "logins_last_90d": ge["l90"].sum(),
            "logins_prev_90d": ge["p90"].sum(),
            "digital_events_last_180d": ge["e180"].sum(),
            "password_resets_last_180d": ge["r180"].sum(),
            "days_since_last_login": (ge["as_of"].max() - ge["login_date"].max()).dt.days,
        }
    )

    # a card issued before the loan on any clean disposition of the account
    cb = (
        spines[["loan_id", "account_id", "as_of"]]
        .merge(clean_disp[["account_id", "disp_id"]], on="account_id")
        .merge(crd[crd["is_clean"]][["disp_id", "issued_date"]], on="disp_id")
    )
    has_card = cb[cb["issued_date"] < cb["as_of"]].groupby("loan_id").size().gt(0).rename("has_card")

    out = (
        clean_loans.merge(spines[["loan_id", "client_id"]], on="loan_id", how="left")
        .merge(accounts_owned.drop(columns=["client_id"]), on="account_id", how="left")
        .merge(dist[dist["is_clean"]].drop(columns="is_clean"), on="district_id", how="left")
        .merge(history, left_on="loan_id", right_index=True, how="left")
        .merge(months, left_on="loan_id", right_index=True, how="left")
        .merge(digital, left_on="loan_id", right_index=True, how="left")
        .merge(has_card, left_on="loan_id", right_index=True, how="left")
    )
    age = whole_years(out["birth_date"], out["loan_date"])
    late = out["loan_date"].dt.year >= 1997
    result = pd.DataFrame(
        {
            "loan_id": out["loan_id"],
            "account_id": out["account_id"],
            "loan_date": out["loan_date"],
            "loan_amount": out["loan_amount"],
            "loan_duration_months": out["loan_duration_months"],
            "monthly_payment": out["monthly_payment"],
            "loan_status": out["loan_status"],
            "is_default": out["is_default"],
            "owner_client_key": pseudonymize(out["client_id"], key),
            "owner_gender": out["gender"],
            "owner_age_at_loan": age,
            "owner_age_band": age_band(age),
            "district_id": out["district_id"],
            "district_unemployment_rate": np.where(
                late,
                out["unemployment_rate_1996"].fillna(out["unemployment_rate_1995"]),
                out["unemployment_rate_1995"].fillna(out["unemployment_rate_1996"]),
            ),
            "district_avg_salary": out["avg_salary"],
            "district_urban_ratio": out["urban_ratio_pct"] / 100.0,
            "statement_frequency": out["statement_frequency"],
            "account_age_days": (out["loan_date"] - out["opened_date"]).dt.days,
            "n_dispositions": out["n_dispositions"],
            "has_card": out["has_card"].astype("boolean").fillna(False).astype(bool),
            "history_months": out["history_months"].fillna(0).astype("int64"),
            "n_transactions": out["n_transactions"].fillna(0).astype("int64"),
            "mean_monthly_inflow": out["mean_monthly_inflow"],
            "std_monthly_inflow": out["std_monthly_inflow"],
            "mean_monthly_outflow": out["mean_monthly_outflow"],
            "inflow_last_3m": out["inflow_last_3m"].fillna(0.0),
            "mean_balance": out["mean_balance"],
            "std_balance": out["std_balance"],
            "min_balance": out["min_balance"],
            "last_balance": out["last_balance"],
            "n_negative_balance": out["n_negative_balance"].fillna(0).astype("int64"),
            "n_penalty_interest": out["n_penalty_interest"].fillna(0).astype("int64"),
            "days_since_last_transaction": out["days_since_last_transaction"],
            "logins_last_90d": out["logins_last_90d"].fillna(0).astype("int64"),
            "logins_prev_90d": out["logins_prev_90d"].fillna(0).astype("int64"),
            "digital_events_last_180d": out["digital_events_last_180d"].fillna(0).astype("int64"),
            "password_resets_last_180d": out["password_resets_last_180d"].fillna(0).astype("int64"),
            "days_since_last_login": out["days_since_last_login"],
        }
    )
    return result.reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="pandas route: raw files → loan_features → fitted model")
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="write loan_features here (parquet)")
    parser.add_argument("--no-fit", action="store_true", help="stop after loan_features")
    args = parser.parse_args()
    started = time.perf_counter()
    key, _ = config.pseudonym_key()
    features = loan_features(args.raw, key)
    prep_s = time.perf_counter() - started
    if args.out:
        features.to_parquet(args.out, index=False)
    out = {"prep_seconds": round(prep_s, 3), "loan_rows": len(features)}
    if not args.no_fit:
        from bench.model_fit import fit_loan_default

        out.update(fit_loan_default(features))
    out["total_seconds"] = round(time.perf_counter() - started, 3)
    print(" ".join(f"{k}={v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
