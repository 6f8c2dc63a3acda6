"""Running balances are consistent with the amounts, per account in date order."""

from __future__ import annotations

from collections import defaultdict


def test_balance_identity(clean_run, lines_of):
    out, _ = clean_run
    last: dict[str, tuple[int, int]] = {}
    errors = []
    for line in lines_of(out / "trans.asc")[1:]:
        f = line.split(";")
        account, date, kind = f[1], int(f[2]), f[3].strip('"')
        amount = round(float(f[5]) * 100)
        balance = round(float(f[6]) * 100)
        assert amount > 0
        signed = amount if kind == "PRIJEM" else -amount
        prev_date, prev_balance = last.get(account, (0, 0))
        assert date >= prev_date, "transactions of an account are in date order"
        if prev_balance + signed != balance:
            errors.append(line)
        last[account] = (date, balance)
    assert errors == []


def test_accounts_start_with_a_deposit_on_the_opening_date(clean_run, lines_of):
    out, _ = clean_run
    opened = {line.split(";")[0]: line.split(";")[3] for line in lines_of(out / "account.asc")[1:]}
    first = {}
    for line in lines_of(out / "trans.asc")[1:]:
        f = line.split(";")
        first.setdefault(f[1], f)
    assert set(first) <= set(opened)
    for account, f in first.items():
        assert f[2] == opened[account] and f[4] == '"VKLAD"'


def test_negative_balances_are_rare(clean_run, lines_of):
    out, _ = clean_run
    balances = [float(line.split(";")[6]) for line in lines_of(out / "trans.asc")[1:]]
    share = sum(b < 0 for b in balances) / len(balances)
    assert 0 < share < 0.05
    per_account = defaultdict(int)
    for line in lines_of(out / "trans.asc")[1:]:
        per_account[line.split(";")[1]] += 1
    assert 100 < sum(per_account.values()) / len(per_account) < 400
