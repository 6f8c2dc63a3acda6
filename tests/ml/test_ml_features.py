"""Feature functions: values on tiny frames, the missing-column failure path, and no leakage."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from ml import features as F
from ml.errors import FeatureError
from ml.tasks import available_tasks, load_task


def test_installment_to_income_is_payment_over_inflow_and_null_without_inflow():
    df = pl.DataFrame({"monthly_payment": [100.0, 50.0, 10.0], "mean_monthly_inflow": [400.0, None, 0.0]})
    out = F.installment_to_income(df)
    assert out["installment_to_income"].to_list() == [0.25, None, None]


def test_loan_to_annual_income():
    df = pl.DataFrame({"loan_amount": [12_000.0], "mean_monthly_inflow": [500.0]})
    assert F.loan_to_annual_income(df)["loan_to_annual_income"].to_list() == [2.0]


def test_payment_cover():
    df = pl.DataFrame({"mean_balance": [3000.0], "min_balance": [-500.0], "monthly_payment": [1000.0]})
    out = F.payment_cover(df)
    assert out["balance_to_payment"].to_list() == [3.0]
    assert out["min_balance_to_payment"].to_list() == [-0.5]


def test_inflow_stability_cv_and_net_flow():
    df = pl.DataFrame({"mean_monthly_inflow": [1000.0], "std_monthly_inflow": [250.0], "mean_monthly_outflow": [800.0]})
    out = F.inflow_stability(df)
    assert out["inflow_cv"].to_list() == [0.25]
    assert out["net_flow_ratio"].to_list() == [pytest.approx(0.2)]


def test_inflow_trend():
    df = pl.DataFrame({"inflow_last_3m": [1500.0, 3000.0], "mean_monthly_inflow": [1000.0, None]})
    assert F.inflow_trend(df)["inflow_trend"].to_list() == [1.5, None]


def test_balance_volatility():
    df = pl.DataFrame(
        {"std_balance": [500.0], "mean_monthly_inflow": [1000.0], "n_negative_balance": [3], "n_transactions": [30]}
    )
    out = F.balance_volatility(df)
    assert out["balance_volatility"].to_list() == [0.5]
    assert out["negative_balance_rate"].to_list() == [pytest.approx(0.1)]


def test_history_recency_marks_rows_without_history():
    df = pl.DataFrame({"history_months": [0, 4, None], "n_transactions": [0, 40, None]})
    out = F.history_recency(df)
    assert out["has_history"].to_list() == [False, True, False]
    assert out["transactions_per_month"].to_list() == [None, 10.0, None]


def test_digital_engagement():
    df = pl.DataFrame(
        {
            "logins_last_90d": [9, 0],
            "logins_prev_90d": [4, None],
            "digital_events_last_180d": [20, 0],
            "password_resets_last_180d": [2, 0],
        }
    )
    out = F.digital_engagement(df)
    assert out["login_trend"].to_list() == [2.0, 1.0]
    assert out["is_digitally_active"].to_list() == [True, False]
    assert out["password_reset_share"].to_list() == [0.1, None]


def _taiwan_row(**overrides) -> pl.DataFrame:
    row = {"credit_limit": 1000.0}
    for i in range(1, 7):
        row[f"bill_amount_m{i}"] = 100.0 * i
        row[f"paid_amount_m{i}"] = 50.0
        row[f"repay_status_m{i}"] = -1
    row.update(overrides)
    return pl.DataFrame([row])


def test_card_utilisation():
    out = F.card_utilisation(_taiwan_row())
    assert out["utilisation"].item() == pytest.approx(0.1)
    assert out["mean_utilisation"].item() == pytest.approx(0.35)
    assert out["max_utilisation"].item() == pytest.approx(0.6)
    assert out["bill_growth_to_limit"].item() == pytest.approx(-0.5)


def test_card_pay_ratios_pay_previous_bill_and_cap():
    out = F.card_pay_ratios(_taiwan_row(paid_amount_m1=10_000.0, bill_amount_m3=0.0))
    assert out["pay_ratio_m1"].item() == 2.0  # 10,000 / 200 capped at 2
    assert out["pay_ratio_m2"].item() is None  # the m3 bill was zero
    assert out["pay_ratio_m3"].item() == pytest.approx(50 / 400)
    expected_mean = np.mean([2.0, 50 / 400, 50 / 500, 50 / 600])
    assert out["mean_pay_ratio"].item() == pytest.approx(expected_mean)
    assert out["paid_to_limit"].item() == pytest.approx((10_000 + 5 * 50) / 1000)


def test_card_delays():
    out = F.card_delays(_taiwan_row(repay_status_m1=2, repay_status_m2=1, repay_status_m3=0))
    assert out["months_delayed"].item() == 2
    assert out["max_delay_months"].item() == 2
    assert out["months_paid_duly"].item() == 3


@pytest.mark.parametrize("step", sorted(F.known_steps()))
def test_every_step_names_each_missing_input(step):
    spec = F.known_steps()[step]
    for missing in spec.inputs:
        frame = pl.DataFrame({c: [1.0] for c in spec.inputs if c != missing})
        with pytest.raises(FeatureError, match=missing):
            spec.function(frame)


@pytest.mark.parametrize("step", sorted(F.known_steps()))
def test_every_step_produces_its_declared_outputs(step):
    spec = F.known_steps()[step]
    out = spec.function(pl.DataFrame({c: [2.0] for c in spec.inputs}))
    assert set(spec.outputs) <= set(out.columns)


def test_unknown_step_is_refused():
    with pytest.raises(FeatureError, match="unknown feature step"):
        F.build_features(pl.DataFrame({"a": [1]}), ["no_such_step"])


@pytest.mark.parametrize("task_name", available_tasks())
def test_task_features_are_mart_columns_or_derived(task_name):
    task = load_task(task_name)
    inputs = F.required_inputs(task.feature_steps, task.features)
    assert not set(inputs) & F.derived_columns(task.feature_steps)
    assert set(task.features) <= set(inputs) | F.derived_columns(task.feature_steps)


def test_no_leakage_rows_dated_later_do_not_change_existing_features(loan_frame):
    """Features of a loan depend on its own mart row only: appending loans dated after every
    existing loan (and shuffling) leaves the existing rows' features exactly as they were."""
    task = load_task("loan_default")
    before = F.build_features(loan_frame, task.feature_steps)
    future = loan_frame.head(50).with_columns(
        (pl.col("loan_id") + 1_000_000).alias("loan_id"),
        (pl.col("loan_date") + dt.timedelta(days=5 * 365)).alias("loan_date"),
        (pl.col("mean_monthly_inflow") * 10).alias("mean_monthly_inflow"),
        pl.lit(True).alias("is_default"),
    )
    combined = pl.concat([loan_frame, future]).sample(fraction=1.0, shuffle=True, seed=1)
    after = F.build_features(combined, task.feature_steps).filter(pl.col("loan_id") < 1_000_000)
    columns = list(task.features)
    left = before.sort("loan_id").select(columns)
    right = after.sort("loan_id").select(columns)
    assert left.equals(right)


def test_features_ignore_the_target(loan_frame):
    task = load_task("loan_default")
    flipped = loan_frame.with_columns(~pl.col("is_default"))
    a = F.build_features(loan_frame, task.feature_steps).select(task.features)
    b = F.build_features(flipped, task.feature_steps).select(task.features)
    assert a.equals(b)


def test_to_matrix_orders_columns_and_marks_missing():
    df = pl.DataFrame({"n": [1, None], "b": [True, None], "c": ["x", None]})
    x = F.to_matrix(df, ["n"], ["b"], ["c"])
    assert x.shape == (2, 3)
    assert x[0, 0] == 1.0 and math.isnan(x[1, 0])
    assert x[0, 1] == 1.0 and math.isnan(x[1, 1])
    assert x[1, 2] == F.MISSING_CATEGORY


def test_to_matrix_refuses_missing_and_non_numeric_columns():
    with pytest.raises(FeatureError, match="absent"):
        F.to_matrix(pl.DataFrame({"n": [1]}), ["n", "m"], [], [])
    with pytest.raises(FeatureError, match="cannot be read as a number"):
        F.to_matrix(pl.DataFrame({"n": ["abc"]}), ["n"], [], [])


def test_card_repay_codes_are_states():
    out = F.card_repay_codes(_taiwan_row(repay_status_m1=-2, repay_status_m2=0, repay_status_m3=2, repay_status_m4=7))
    assert [out[f"repay_code_m{i}"].item() for i in range(1, 7)] == [
        "no_consumption",
        "revolving",
        "delay_2",
        "delay_3plus",
        "paid_duly",
        "paid_duly",
    ]


def test_income_and_balance_shape():
    df = pl.DataFrame(
        {
            "mean_monthly_inflow": [math.e**2, None],
            "mean_balance": [-200.0, 0.0],
            "std_balance": [100.0, 50.0],
            "n_negative_balance": [0, None],
        }
    )
    out = F.income_and_balance_shape(df)
    assert out["log_mean_inflow"].to_list() == [pytest.approx(2.0), None]
    assert out["balance_cv"].to_list() == [0.5, 10.0]  # |mean| floored at 1, capped at 10
    assert out["log_negative_balance"].to_list() == [0.0, None]
    assert out["log_mean_balance"].to_list() == [0.0, 0.0]  # balances below 1 are floored at 1
