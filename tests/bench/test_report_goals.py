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
