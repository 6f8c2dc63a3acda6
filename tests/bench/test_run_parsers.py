"""bench.run reads the figures it records from its children's logs."""

from __future__ import annotations

from bench.run import parse_pytest_summary, parse_run_log


def test_pytest_summary_counts_and_seconds() -> None:
    log = "tests/x.py ....\n=== 493 passed, 1 skipped, 2 warnings in 522.78s (0:08:42) ===\n"
    assert parse_pytest_summary(log) == {
        "pytest_counts": {"passed": 493, "skipped": 1, "warnings": 2},
        "pytest_seconds": 522.78,
    }
    failed = "=== 1 failed, 492 passed in 500.10s (0:08:20) ===\nmake: *** [Makefile:60: test] Error 1\n"
    assert parse_pytest_summary(failed)["pytest_counts"] == {"failed": 1, "passed": 492}
    assert parse_pytest_summary("no tests ran\n") == {}


def test_run_log_step_seconds() -> None:
    log = "✓ generate (1.7 s)\n    loans: 692\n✓ dbt build (21.4 s)\n– train + score card_default (0.1 s)\n"
    assert parse_run_log(log) == {
        "step_seconds": {"generate": 1.7, "dbt build": 21.4, "train + score card_default": 0.1}
    }


def test_every_stage_the_harness_runs_can_be_asked_for() -> None:
    from bench.run import parse_args

    args = parse_args(["--sizes", "4500", "--stages", "dbt_run_loan,make_test,run"])
    assert args.stage_list == ("dbt_run_loan", "make_test", "run") and args.size_list == [4500]
