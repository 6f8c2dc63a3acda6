"""The goals P1 and P2 are judged on one `ledgerlab run` when the `run` stage was measured."""

from __future__ import annotations

from bench import report


def _stage(wall: float, cpu: float, rss: float = 1.0, facts: dict | None = None) -> dict:
    return {"status": "ok", "wall_s": wall, "cpu_s": cpu, "tree_rss_gb": rss, "code": {}, "facts": facts or {}}


def test_run_stage_defines_p1_and_p2_at_both_sizes() -> None:
    table = {
        4_500: {"run": _stage(70.0, 90.0, facts={"step_seconds": {"generate": 3.0}})},
        45_000: {"run": _stage(200.0, 300.0, 5.0)},
        450_000: {"run": _stage(2_100.0, 3_000.0, 10.6)},
    }
    values, _, detail = report.goals(table)
    assert values["p1_seconds"] == 70.0
    assert detail["p1"]["without_generate_s"] == 67.0
    assert values["p2_seconds_100m"] == 2_100.0
    assert values["p2_linearity"] == 10.5
    assert values["p2_peak_rss_gb"] == 10.6
    assert detail["p2"]["cpu_linearity"] == 10.0
    assert detail["verdicts"]["p2_seconds_100m"] == "missed" and detail["verdicts"]["p2_linearity"] == "met"


def test_without_the_run_stage_p2_is_not_measured_and_p1_needs_every_stage() -> None:
    table = {4_500: {"generate": _stage(3.0, 3.0)}, 450_000: {"generate": _stage(98.0, 181.0, 1.6)}}
    values, notes, detail = report.goals(table)
    assert values["p1_seconds"] is None and detail["p1"]["without_generate_s"] is None
    assert values["p2_seconds_100m"] is None and "ingest" in notes["p2_seconds_100m"]
    assert detail["p2"]["peak_rss_so_far_gb"] == 1.6


def test_p1_is_the_full_run_against_the_floor_of_the_same_session() -> None:
    run = {**_stage(40.0, 60.0, facts={"step_seconds": {"generate": 2.0}}), "run_id": "s1"}
    floor = {**_stage(5.0, 7.0), "run_id": "s1"}
    again = {**_stage(25.0, 30.0, facts={"step_seconds": {"dbt build": 12.0}}), "run_id": "s1"}
    values, notes, detail = report.goals({4_500: {"run": run, "floor": floor, "run_again": again}})
    assert values["p1_seconds"] == 40.0 and values["p1_floor_seconds"] == 5.0
    assert values["p1_ratio_to_floor"] == 8.0 and "p1_ratio_to_floor" not in notes
    assert detail["p1"]["floor_same_session"] is True
    assert detail["p1"]["repeat_run_s"] == 25.0
    assert detail["verdicts"]["p1_seconds"] == "missed"  # issue 17: <= 30 s
    assert values["p5_make_test_seconds"] is None and "make test" in notes["p5_make_test_seconds"]
    assert set(values) >= {"p1_seconds", "p1_floor_seconds", "p1_ratio_to_floor", "p4_gx_ratio_to_sql"}

    values, notes, detail = report.goals({4_500: {"run": run, "floor": {**floor, "run_id": "s0"}}})
    assert detail["p1"]["floor_same_session"] is False and "another session" in notes["p1_ratio_to_floor"]


def test_stages_not_measured_again_are_carried_over_and_marked() -> None:
    previous = {
        "generated_at": "2026-11-26T05:16:00",
        "sizes": {"450000": {"stages": {"run": _stage(1_577.0, 2_000.0, 11.5)}}, "4500": {"stages": {}}},
    }
    table = report.carry_over({4_500: {"run": _stage(40.0, 60.0)}}, previous)
    assert table[450_000]["run"]["wall_s"] == 1_577.0
    assert table[450_000]["run"]["carried_from"] == "2026-11-26T05:16:00"
    assert "carried_from" not in table[4_500]["run"]
    assert report._stage_note("run", table[450_000]["run"]).startswith("(carried from 2026-11-26)")


def test_the_stage_sum_is_not_given_when_a_stage_was_carried_over() -> None:
    stages = {name: _stage(1.0, 1.0) for name in report.E2E_STAGES}
    assert report.goals({4_500: stages})[2]["p1"]["stages_sum_s"] == 7.0
    stages["train"] = {**stages["train"], "carried_from": "2026-11-26T01:00:00"}
    assert report.goals({4_500: stages})[2]["p1"]["stages_sum_s"] is None


def test_p3_is_like_for_like_the_pandas_routes_mart_and_model() -> None:
    stages = {
        "ingest": _stage(20.0, 25.0),
        "dbt_run": _stage(80.0, 140.0),
        "dbt_run_loan": _stage(50.0, 90.0),
        "fit": _stage(5.0, 5.0),
        "pandas": _stage(150.0, 150.0, 6.0),
    }
    values, notes, detail = report.goals({45_000: stages})
    assert values["p3_speedup_vs_pandas_10m"] == 150.0 / (20.0 + 50.0 + 5.0)
    assert detail["p3"]["speedup_all_marts"] == 150.0 / (20.0 + 80.0 + 5.0)
    assert detail["p3"]["cpu_speedup"] == 150.0 / (25.0 + 90.0 + 5.0)
    assert detail["verdicts"]["p3_speedup_vs_pandas_10m"] == "met"  # 2.0x is the goal

    del stages["dbt_run_loan"]
    values, notes, _ = report.goals({45_000: stages})
    assert values["p3_speedup_vs_pandas_10m"] is None and "dbt_run_loan" in notes["p3_speedup_vs_pandas_10m"]


def test_p5_is_the_make_test_stage_of_a_fresh_clone() -> None:
    values, notes, detail = report.goals({4_500: {"make_test": _stage(290.0, 500.0)}})
    assert values["p5_make_test_seconds"] == 290.0 and "p5_make_test_seconds" not in notes
    assert detail["verdicts"]["p5_make_test_seconds"] == "met"  # <= 300 s
    failed = {**_stage(280.0, 500.0), "status": "failed"}
    values, notes, _ = report.goals({4_500: {"make_test": failed}})
    assert values["p5_make_test_seconds"] is None
