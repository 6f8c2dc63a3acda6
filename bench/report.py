"""Turn every benchmark record into docs/benchmarks.json and the time-vs-size plot.

    python -m bench.report [--out bench/results] [--json docs/benchmarks.json] [--plot docs/...svg]

Per (size, stage) the records of the latest run that measured that stage
are summarised: medians of wall time, CPU time and peak RSS over the
successful repeats (failed or capped runs are reported with their error).
Stages the records lack are carried over from the previous summary (marked
``carried_from``). The goals of issue 17 are computed from those medians; a
goal whose inputs are missing is null, with the reason in ``goal_notes``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from importlib import metadata
from pathlib import Path

from bench.plot import write_svg

REPO = Path(__file__).resolve().parent.parent
P1_SIZE, P1B_SIZE, P2_SIZE = 4_500, 45_000, 450_000
E2E_STAGES = ("generate", "ingest", "dbt_build", "validate", "train", "score", "report")
LIBRARIES = (
    "duckdb",
    "dbt-core",
    "dbt-duckdb",
    "great-expectations",
    "polars",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "numpy",
)


def load_records(out: Path) -> list[dict]:
    records = []
    for path in sorted(out.glob("*/records.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                records.append(json.loads(line))
    return records


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def summarise(records: list[dict]) -> dict[int, dict[str, dict]]:
    """size -> stage -> summary of the latest run that has that stage."""
    latest: dict[tuple[int, str], str] = {}
    for rec in records:
        key = (rec["size"], rec["stage"])
        if key not in latest or rec["run_id"] > latest[key]:
            latest[key] = rec["run_id"]
    out: dict[int, dict[str, dict]] = {}
    for (size, stage), run_id in sorted(latest.items()):
        recs = [r for r in records if r["size"] == size and r["stage"] == stage and r["run_id"] == run_id]
        measured = [r for r in recs if r["measurement"]]
        ok = [r for r in measured if r["measurement"]["status"] == "ok"]
        summary: dict = {
            "run_id": run_id,
            "repeats": len(measured),
            "ok_repeats": len(ok),
            "status": "ok"
            if ok and len(ok) == len(measured)
            else (
                "skipped" if not measured else (measured[-1]["measurement"]["status"] if not ok else "partly_failed")
            ),
            "recorded_at": recs[-1]["recorded_at"],
            "code": recs[-1]["code"],
        }
        if ok:
            ms = [r["measurement"] for r in ok]
            summary.update(
                {
                    "wall_s": _median([m["wall_s"] for m in ms]),
                    "cpu_s": _median([m["cpu_s"] for m in ms]),
                    "max_rss_gb": _median([m["max_rss_gb"] for m in ms]),
                    "tree_rss_gb": _median([m["tree_rss_gb"] for m in ms]),
                    "wall_s_all": [round(m["wall_s"], 2) for m in ms],
                    "cpu_s_all": [round(m["cpu_s"], 2) for m in ms],
                    "load_avg_median": _median([(m["load_before"] + m["load_after"]) / 2 for m in ms]),
                }
            )
        failed = [r for r in measured if r["measurement"]["status"] != "ok"]
        if failed:
            m = failed[-1]["measurement"]
            summary["error"] = m["error"]
            summary["failed_wall_s"] = m["wall_s"]
            summary["failed_cpu_s"] = m["cpu_s"]
            summary["failed_tree_rss_gb"] = m["tree_rss_gb"]
        skipped = [r for r in recs if r["skipped"]]
        if skipped and not measured:
            summary["skipped"] = skipped[-1]["skipped"]
        facts = (ok or measured or recs)[-1]["facts"]
        if stage == "gx_vs_sql" and ok and "ratio_validation" not in facts:
            facts = {**facts, **gx_vs_sql_from_log(ok[-1]["measurement"].get("log"))}
        if stage == "gx_vs_sql" and len(ok) > 1:
            ratios = [gx_vs_sql_from_log(r["measurement"].get("log")).get("ratio_validation") for r in ok]
            ratios = [r for r in ratios if r is not None]
            if ratios:
                facts = {**facts, "ratio_validation": _median(ratios), "ratio_validation_all": ratios}
        if facts:
            summary["facts"] = facts
        out.setdefault(size, {})[stage] = summary
    return out


def gx_vs_sql_from_log(log: str | None) -> dict:
    """The figures bench/gx_vs_sql.py prints (its JSON file is shared by every size)."""
    import re

    if not log or not Path(log).is_file():
        return {}
    text = Path(log).read_text(errors="replace")
    patterns = {
        "gx_import_s": r"GX import \(once per process\)\s+([\d.]+) s",
        "gx_validation_s": r"GX validation \(context\+checkpoint\)\s+([\d.]+) s",
        "gx_rest_of_validate_s": r"rest of validate \(reports, history\)\s+([\d.]+) s",
        "plain_sql_s": r"plain SQL, same checks\s+([\d.]+) s",
        "ratio_validation": r"ratio GX validation / SQL\s+([\d.]+) x",
        "ratio_total": r"ratio GX incl\. import / SQL\s+([\d.]+) x",
        "checks": r"(\d+) checks",
    }
    out: dict = {}
    for key, pattern in patterns.items():
        m = re.search(pattern, text)
        if m:
            out[key] = float(m.group(1)) if key != "checks" else int(m.group(1))
    out["outcomes_agree"] = "every check agrees" in text
    return out


def _wall(table: dict, size: int, stage: str) -> float | None:
    s = table.get(size, {}).get(stage)
    return s.get("wall_s") if s and s.get("status") == "ok" else None


def _cpu(table: dict, size: int, stage: str) -> float | None:
    s = table.get(size, {}).get(stage)
    return s.get("cpu_s") if s and s.get("status") == "ok" else None


def e2e(
    table: dict, size: int, measure=_wall, build_as_run_plus_test: bool = False
) -> tuple[float | None, list[str], str]:
    """Sum of the end-to-end stages; dbt build ≈ dbt run + dbt test when build was not measured
    (or when asked, so that two sizes are summed the same way)."""
    total, missing, how = 0.0, [], "generate + ingest + dbt build + validate + train + score + report"
    for stage in E2E_STAGES:
        value = None if (stage == "dbt_build" and build_as_run_plus_test) else measure(table, size, stage)
        if value is None and stage == "dbt_build":
            run, test = measure(table, size, "dbt_run"), measure(table, size, "dbt_test")
            if run is not None and test is not None:
                value = run + test
                how = how.replace("dbt build", "(dbt run + dbt test)")
        if value is None:
            missing.append(stage)
        else:
            total += value
    return (None if missing else total), missing, how


RUN_DEFINITION = (
    "ledgerlab run --accounts N --seed 42, exactly what `make run` runs (one process: generate → ingest → "
    "dbt build → validate → train + score every default task → report), in a fresh home"
)
# Issue 17's targets (issue 8's were P1 <= 60 s, P3 >= 5x, P4 <= 2x).
TARGETS = {
    "p1_seconds": ("<=", 30),
    "p1b_ratio_to_floor_10m": ("<=", 1.5),
    "p2_seconds_100m": ("<=", 1200),
    "p2_peak_rss_gb": ("<=", 12),
    "p2_linearity": ("<=", 10.5),
    "p3_speedup_vs_pandas_10m": (">=", 2),
    "p4_gx_ratio_to_sql": ("<=", 1.5),
    "p5_make_test_seconds": ("<=", 300),
}


def end_to_end(table: dict, size: int, measure=_wall) -> tuple[float | None, list[str], str]:
    """P1's and P2's end to end: one `ledgerlab run` (the `run` stage) when measured, else the stages' sum."""
    one = measure(table, size, "run")
    if one is not None:
        return one, [], RUN_DEFINITION
    return e2e(table, size, measure)


PIPELINE_CODE = ("ledgerlab", "models_sql", "dbt_project", "ml", "expectations")
STAGE_CODE = {  # the code a stage's time depends on
    "ingest": ("ledgerlab",),
    "dbt_run": ("models_sql", "dbt_project"),
    "dbt_run_main": ("models_sql", "dbt_project"),
    "dbt_run_loan": ("models_sql", "dbt_project"),
    "dbt_build": ("models_sql", "dbt_project"),
    "dbt_test": ("models_sql", "dbt_project"),
    "validate": ("expectations", "models_sql"),
    "train": ("ml",),
    "score": ("ml",),
    "fit": ("ml",),
    "report": ("ledgerlab", "ml"),
    "floor": ("bench",),
    "pandas": ("bench", "ml"),
    "gx_vs_sql": ("expectations", "bench"),
}


def code_mismatches(table: dict, size_a: int, size_b: int) -> dict[str, list[str]]:
    """Stages measured at both sizes with different pipeline code (the repo changed between runs)."""
    out = {}
    for stage, a in table.get(size_a, {}).items():
        b = table.get(size_b, {}).get(stage)
        if not b or stage == "generate":  # generated data is reused: its code is the data's
            continue
        relevant = STAGE_CODE.get(stage, PIPELINE_CODE)
        differs = [k for k in relevant if a["code"].get(k) != b["code"].get(k)]
        if differs:
            out[stage] = differs
    return out


def goals(table: dict) -> tuple[dict, dict, dict]:
    notes: dict[str, str] = {}
    detail: dict[str, dict] = {}

    p1, missing, how = end_to_end(table, P1_SIZE)
    run_steps = table.get(P1_SIZE, {}).get("run", {}).get("facts", {}).get("step_seconds", {})
    generate_s = run_steps.get("generate") if run_steps else _wall(table, P1_SIZE, "generate")
    stages_sum_s, _, stages_sum_how = e2e(table, P1_SIZE)
    if any(table.get(P1_SIZE, {}).get(stage, {}).get("carried_from") for stage in E2E_STAGES):
        stages_sum_s = None  # a sum of this session's stages and older ones means nothing
    floor_p1 = _wall(table, P1_SIZE, "floor")
    run_id, floor_id = (table.get(P1_SIZE, {}).get(s, {}).get("run_id") for s in ("run", "floor"))
    detail["p1"] = {
        "size": P1_SIZE,
        "definition": how,
        "target_s": TARGETS["p1_seconds"][1],
        "floor_s": floor_p1,
        "floor_same_session": run_id is not None and run_id == floor_id,
        "repeat_run_s": _wall(table, P1_SIZE, "run_again"),
        "repeat_run_definition": "the same command once more in the same home (training cache and dbt parse warm)",
        "repeat_run_step_seconds": table.get(P1_SIZE, {}).get("run_again", {}).get("facts", {}).get("step_seconds"),
        "missing_stages": missing,
        "cpu_s": end_to_end(table, P1_SIZE, _cpu)[0],
        "run_step_seconds": run_steps or None,
        "stages_sum_s": stages_sum_s,
        "stages_sum_definition": stages_sum_how + ", each stage its own process",
        "without_generate_s": p1 - generate_s if None not in (p1, generate_s) else None,
    }
    if p1 is None:
        notes["p1_seconds"] = f"stages not measured or failed at {P1_SIZE:,} accounts: {', '.join(missing)}"
    if floor_p1 is None:
        notes["p1_floor_seconds"] = f"bench.floor not measured at {P1_SIZE:,} accounts"
    p1_ratio = p1 / floor_p1 if None not in (p1, floor_p1) else None
    if p1_ratio is None:
        notes["p1_ratio_to_floor"] = f"the run and bench.floor both measured at {P1_SIZE:,} accounts are needed"
    elif not detail["p1"]["floor_same_session"]:
        notes["p1_ratio_to_floor"] = "the floor was measured in another session than the run"

    ingest, run, floor = (_wall(table, P1B_SIZE, s) for s in ("ingest", "dbt_run", "floor"))
    p1b = (ingest + run) / floor if None not in (ingest, run, floor) else None
    detail["p1b"] = {
        "size": P1B_SIZE,
        "target_ratio": 1.5,
        "ingest_s": ingest,
        "dbt_run_s": run,
        "floor_s": floor,
        "cpu_ratio": None,
    }
    ci, cr, cf = (_cpu(table, P1B_SIZE, s) for s in ("ingest", "dbt_run", "floor"))
    if None not in (ci, cr, cf):
        detail["p1b"]["cpu_ratio"] = (ci + cr) / cf
    main = _wall(table, P1B_SIZE, "dbt_run_main")
    if None not in (ingest, main, floor):
        detail["p1b"]["like_for_like_ratio"] = (ingest + main) / floor
        detail["p1b"]["dbt_run_main_s"] = main
    if p1b is None:
        notes["p1b_ratio_to_floor_10m"] = f"ingest, dbt_run or floor not measured at {P1B_SIZE:,} accounts"

    stages_big = table.get(P2_SIZE, {})
    run_p2, run_10m = _wall(table, P2_SIZE, "run"), _wall(table, P1B_SIZE, "run")
    if run_p2 is not None and run_10m is not None:
        # both sizes measured as one `ledgerlab run`: compare like with like
        p2, missing2, how2 = run_p2, [], RUN_DEFINITION
        t10, how10 = run_10m, RUN_DEFINITION
        cpu_p2, cpu10 = _cpu(table, P2_SIZE, "run"), _cpu(table, P1B_SIZE, "run")
        rss = [stages_big["run"]["tree_rss_gb"]] if stages_big["run"].get("tree_rss_gb") is not None else []
    else:
        p2, missing2, how2 = e2e(table, P2_SIZE)
        same_way = "dbt run + dbt test" in how2  # sum 10 M the way 100 M was summed
        t10, _, how10 = e2e(table, P1B_SIZE, build_as_run_plus_test=same_way)
        if t10 is None and same_way:
            t10, _, how10 = e2e(table, P1B_SIZE)
        cpu_p2 = e2e(table, P2_SIZE, _cpu)[0]
        cpu10 = e2e(table, P1B_SIZE, _cpu, build_as_run_plus_test=same_way)[0] or e2e(table, P1B_SIZE, _cpu)[0]
        rss = [
            s.get("tree_rss_gb")
            for s in stages_big.values()
            if s.get("tree_rss_gb") is not None and s is not stages_big.get("pandas")
        ]
    p2_rss = max(rss) if rss and not missing2 else None
    detail["p2"] = {
        "size": P2_SIZE,
        "definition": how2,
        "target_s": 1200,
        "target_rss_gb": 12,
        "target_linearity": 10.5,
        "missing_stages": missing2,
        "e2e_10m_s": t10,
        "peak_rss_stage": max(
            ((k, v.get("tree_rss_gb") or 0) for k, v in stages_big.items() if k != "pandas"),
            key=lambda kv: kv[1],
            default=(None, None),
        )[0],
    }
    # per-stage linearity, useful when the whole ladder is not complete
    detail["p2"]["stage_linearity"] = {
        stage: (_wall(table, P2_SIZE, stage) / _wall(table, P1B_SIZE, stage))
        for stage in ALL_STAGES_FOR_LINEARITY
        if _wall(table, P2_SIZE, stage) and _wall(table, P1B_SIZE, stage)
    }
    if p2 is None:
        notes["p2_seconds_100m"] = f"stages not measured or failed at {P2_SIZE:,} accounts: {', '.join(missing2)}"
    if p2_rss is None:
        notes["p2_peak_rss_gb"] = (
            f"end-to-end stages missing at {P2_SIZE:,} accounts ({', '.join(missing2)}); "
            f"largest so far {max(rss):.2f} GB"
            if rss
            else f"nothing measured at {P2_SIZE:,} accounts"
        )
    detail["p2"]["peak_rss_so_far_gb"] = max(rss) if rss else None
    detail["p2"]["cpu_s"] = cpu_p2
    if how2 == RUN_DEFINITION:
        detail["p2"]["run_step_seconds"] = stages_big["run"].get("facts", {}).get("step_seconds")
    detail["p2"]["e2e_10m_definition"] = how10
    detail["p2"]["code_differs_from_10m"] = code_mismatches(table, P1B_SIZE, P2_SIZE)
    detail["p2"]["e2e_10m_cpu_s"] = cpu10
    if detail["p2"]["cpu_s"] and cpu10:
        detail["p2"]["cpu_linearity"] = detail["p2"]["cpu_s"] / cpu10
    p2_lin = p2 / t10 if p2 is not None and t10 else None
    if p2_lin is None:
        notes["p2_linearity"] = "needs the end-to-end time at both 45,000 and 450,000 accounts"

    # P3 like for like (issue 17): the pandas route builds loan_features and fits the model;
    # ledgerlab's route is ingest + `dbt run --select +loan_features` + the same fit. The
    # route building every mart (`dbt run`) stays beside it as `speedup_all_marts`.
    pandas = table.get(P1B_SIZE, {}).get("pandas")
    pandas_ok = bool(pandas and pandas.get("status") == "ok")
    pandas_s = pandas.get("wall_s") if pandas_ok else None
    pandas_cpu = pandas.get("cpu_s") if pandas_ok else None

    def route(measure, dbt_stage: str) -> float | None:
        parts = [measure(table, P1B_SIZE, s) for s in ("ingest", dbt_stage, "fit")]
        return sum(parts) if None not in parts else None

    def speedup(ours: float | None, theirs: float | None) -> float | None:
        return theirs / ours if ours and theirs else None

    ours = route(_wall, "dbt_run_loan")
    p3 = speedup(ours, pandas_s)
    detail["p3"] = {
        "size": P1B_SIZE,
        "target_speedup": TARGETS["p3_speedup_vs_pandas_10m"][1],
        "ledgerlab_route": "ingest + dbt run --select +loan_features + fit (the mart and model the pandas route builds)",
        "ledgerlab_s": ours,
        "pandas_s": pandas_s,
        "cpu_speedup": speedup(route(_cpu, "dbt_run_loan"), pandas_cpu),
        "speedup_all_marts": speedup(route(_wall, "dbt_run"), pandas_s),
        "speedup_all_marts_definition": "ingest + dbt run (every model) + fit",
        "speedup_vs_dbt_run_main": speedup(route(_wall, "dbt_run_main"), pandas_s),
        "pandas_prep_s": (pandas or {}).get("facts", {}).get("prep_seconds"),
        "pandas_fit_s": (pandas or {}).get("facts", {}).get("fit_seconds"),
        "pandas_100m": table.get(P2_SIZE, {}).get("pandas", {}).get("status"),
        "pandas_100m_error": table.get(P2_SIZE, {}).get("pandas", {}).get("error"),
    }
    if p3 is None:
        notes["p3_speedup_vs_pandas_10m"] = (
            f"pandas route or ledgerlab route (ingest, dbt_run_loan, fit) incomplete at {P1B_SIZE:,} accounts"
        )

    p4 = None
    for size in sorted(table, reverse=True):
        gx = table[size].get("gx_vs_sql")
        if gx and gx.get("status") == "ok" and gx.get("facts", {}).get("ratio_validation") is not None:
            p4 = float(gx["facts"]["ratio_validation"])
            detail["p4"] = {"size": size, **gx["facts"]}
            break
    if p4 is None:
        notes["p4_gx_ratio_to_sql"] = "no successful gx_vs_sql measurement (bench/gx_vs_sql.py absent or failed)"

    make_test = table.get(P1_SIZE, {}).get("make_test")
    p5 = make_test.get("wall_s") if make_test and make_test.get("status") == "ok" else None
    if p5 is None:
        notes["p5_make_test_seconds"] = (
            "no make_test stage measured: `python -m bench.run --sizes 4500 --stages make_test` "
            "times `make test` in a fresh clone"
        )

    values = {
        "p1_seconds": p1,
        "p1_floor_seconds": floor_p1,
        "p1_ratio_to_floor": p1_ratio,
        "p1b_ratio_to_floor_10m": p1b,
        "p2_seconds_100m": p2,
        "p2_peak_rss_gb": p2_rss,
        "p2_linearity": p2_lin,
        "p3_speedup_vs_pandas_10m": p3,
        "p4_gx_ratio_to_sql": p4,
        "p5_make_test_seconds": p5,
    }
    targets = TARGETS
    for key, (op, target) in targets.items():
        v = values[key]
        detail.setdefault("verdicts", {})[key] = (
            None if v is None else ("met" if (v <= target if op == "<=" else v >= target) else "missed")
        )
    return values, notes, detail


ALL_STAGES_FOR_LINEARITY = (
    "generate",
    "ingest",
    "dbt_run",
    "dbt_run_main",
    "dbt_build",
    "dbt_test",
    "validate",
    "train",
    "score",
    "report",
    "floor",
    "fit",
    "run",
)


def machine() -> dict:
    info: dict = {"platform": platform.platform(), "python": platform.python_version()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
        info["cores"] = len([ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("processor")])
        mem_kb = int(
            next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")).split()[1]
        )
        info["ram_gb"] = round(mem_kb / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        pass
    versions = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = None
    info["libraries"] = versions
    from ledgerlab.core import config

    info["duckdb_settings"] = {"memory_limit": config.DUCKDB_MEMORY_LIMIT, "threads": config.DUCKDB_THREADS}
    return info


def carry_over(table: dict[int, dict[str, dict]], previous: dict | None) -> dict[int, dict[str, dict]]:
    """Stages the records lack, taken from the previous summary and marked ``carried_from`` (its date).

    The raw records live in an ignored folder of one checkout: a session that measures
    only some stages (P1 and P4 at 4,500 accounts) keeps the other sizes' figures.
    """
    for size_key, size in ((previous or {}).get("sizes") or {}).items():
        for stage, summary in (size.get("stages") or {}).items():
            if stage not in table.get(int(size_key), {}):
                carried = {**summary, "carried_from": summary.get("carried_from") or previous.get("generated_at")}
                table.setdefault(int(size_key), {})[stage] = carried
    return dict(sorted(table.items()))


def write_summary(out: Path, json_path: Path, plot_path: Path | None = None) -> dict:
    records = load_records(out)
    previous = None
    if json_path.is_file():
        try:
            previous = json.loads(json_path.read_text(encoding="utf-8"))
        except ValueError:
            previous = None
    table = carry_over(summarise(records), previous)
    values, notes, detail = goals(table)
    summary = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": machine(),
        "goals": values,
        "goal_notes": notes,
        "goal_details": detail,
        "sizes": {
            str(size): {
                "accounts": size,
                "transactions": _transactions(stages),
                "stages": stages,
            }
            for size, stages in table.items()
        },
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    if plot_path is not None:
        write_svg(summary, plot_path)
    return summary


def _transactions(stages: dict) -> int | None:
    for stage in ("generate", "ingest"):
        facts = stages.get(stage, {}).get("facts", {})
        rows = facts.get("rows", {})
        for key in ("trans", "raw.trans"):
            if key in rows:
                return rows[key]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--json", type=Path, default=REPO / "docs" / "benchmarks.json")
    parser.add_argument("--plot", type=Path, default=REPO / "docs" / "benchmarks_time_vs_size.svg")
    parser.add_argument(
        "--doc",
        type=Path,
        default=REPO / "docs" / "BENCHMARKS.md",
        help="rewrite the generated tables of this document (between its markers)",
    )
    parser.add_argument("--print-markdown", action="store_true")
    args = parser.parse_args()
    summary = write_summary(args.out, args.json, args.plot)
    if update_markdown(args.doc, summary):
        print(f"updated the tables of {args.doc}")
    if args.print_markdown:
        print(markdown(summary))
    print(json.dumps(summary["goals"], indent=2))


# --- markdown for docs/BENCHMARKS.md ------------------------------------------------------------

STAGE_ORDER = (
    "generate",
    "ingest",
    "dbt_run",
    "dbt_run_main",
    "dbt_run_loan",
    "fit",
    "dbt_build",
    "dbt_test",
    "validate",
    "train",
    "score",
    "report",
    "floor",
    "pandas",
    "gx_vs_sql",
    "run",
    "run_again",
    "make_test",
)
BEGIN, END = "<!-- BEGIN GENERATED by python -m bench.report -->", "<!-- END GENERATED -->"


def _fmt(v, digits: int = 1) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _stage_note(stage: str, s: dict) -> str:
    note = _stage_facts_note(stage, s)
    if s.get("carried_from"):
        return f"(carried from {s['carried_from'][:10]}) {note}".strip()
    return note


def _stage_facts_note(stage: str, s: dict) -> str:
    f = s.get("facts", {})
    rows = f.get("rows", {})
    if stage == "generate":
        return f"{rows.get('trans', 0):,} trans, {rows.get('digital_events', 0):,} events; raw {f.get('raw_bytes', 0) / 1e9:.2f} GB"
    if stage == "ingest":
        return f"{rows.get('raw.trans', 0):,} raw.trans rows; warehouse {f.get('db_bytes', 0) / 1e9:.2f} GB"
    if stage in ("dbt_run", "dbt_run_main", "dbt_build", "dbt_test"):
        parts = []
        if rows.get("marts.fct_transactions"):
            parts.append(
                f"{rows['marts.fct_transactions']:,} fct_transactions, {rows.get('marts.loan_features', 0):,} loans"
            )
        if f.get("db_bytes"):
            parts.append(f"warehouse {f['db_bytes'] / 1e9:.2f} GB")
        if f.get("dbt_summary"):
            parts.append(f["dbt_summary"].split(" SKIP")[0])
        slow = f.get("dbt_slowest_nodes") or []
        if slow:
            parts.append("slowest: " + ", ".join(f"{n} {sec:.0f} s" for n, sec, _ in slow[:3]))
        return "; ".join(parts)
    if stage == "floor":
        return f"{f.get('fct_transactions', 0):,} fct_transactions, {f.get('loan_features', 0):,} loans; db {f.get('db_bytes', 0) / 1e9:.2f} GB"
    if stage == "pandas":
        if s.get("status") != "ok":
            return f"{s.get('status')}: {s.get('error')}"
        return f"prep {f.get('prep_seconds', 0):.1f} s + fit {f.get('fit_seconds', 0):.1f} s, {f.get('loan_rows', 0):,} loans"
    if stage == "fit":
        return f"{f.get('fit_rows', 0):,} rows, fit {f.get('fit_seconds', 0):.1f} s"
    if stage == "validate":
        if f:
            return (
                f"{f.get('suites', '?')} suites, {f.get('expectations', '?')} expectations, "
                f"{f.get('failed', '?')} failed ({f.get('blocking_failed', '?')} blocking)"
            )
    if stage == "gx_vs_sql" and f:
        return (
            f"GX {_fmt(f.get('gx_validation_s'))} s vs SQL {_fmt(f.get('plain_sql_s'))} s over "
            f"{f.get('checks')} checks: ratio {_fmt(f.get('ratio_validation'), 2)} "
            f"(with GX import {_fmt(f.get('ratio_total'), 2)})"
        )
    if stage in ("run", "run_again") and f.get("step_seconds"):
        return "one process (last run): " + ", ".join(f"{k} {v:.1f}" for k, v in f["step_seconds"].items()) + " s"
    if s.get("skipped"):
        return f"skipped: {s['skipped']}"
    return ""


def markdown(summary: dict) -> str:
    lines = []
    g, notes, det = summary["goals"], summary["goal_notes"], summary["goal_details"]
    verdicts = det.get("verdicts", {})
    lines.append("### Goals (issue 17)\n")
    lines.append("| goal | target | measured (wall time, the goal's definition) | verdict | same on CPU time |")
    lines.append("|---|---|---|---|---|")
    p1, p1b, p2, p3, p4 = (det.get(k, {}) for k in ("p1", "p1b", "p2", "p3", "p4"))
    cpu = {
        "p1_seconds": (p1.get("cpu_s"), " CPU-s"),
        "p1b_ratio_to_floor_10m": (p1b.get("cpu_ratio"), "×"),
        "p2_seconds_100m": (p2.get("cpu_s"), " CPU-s"),
        "p2_linearity": (p2.get("cpu_linearity"), "×"),
        "p3_speedup_vs_pandas_10m": (p3.get("cpu_speedup"), "×"),
    }

    def target(key: str, unit: str) -> str:
        op, value = TARGETS[key]
        return f"{'≤' if op == '<=' else '≥'} {value:,}{unit}"

    rows = (
        ("P1 `make run` end to end, 4,500 accounts", target("p1_seconds", " s"), "p1_seconds", " s"),
        ("P1 bench.floor, same session", "–", "p1_floor_seconds", " s"),
        ("P1 run / floor", "–", "p1_ratio_to_floor", "×"),
        (
            "P1b ingest + dbt run vs floor, 45,000 accounts",
            target("p1b_ratio_to_floor_10m", "×"),
            "p1b_ratio_to_floor_10m",
            "×",
        ),
        ("P2 end to end, 450,000 accounts", target("p2_seconds_100m", " s"), "p2_seconds_100m", " s"),
        ("P2 peak RSS, 450,000 accounts", target("p2_peak_rss_gb", " GB"), "p2_peak_rss_gb", " GB"),
        ("P2 t(100 M) / t(10 M)", target("p2_linearity", ""), "p2_linearity", "×"),
        (
            "P3 speed-up vs pandas, 45,000 accounts",
            target("p3_speedup_vs_pandas_10m", "×"),
            "p3_speedup_vs_pandas_10m",
            "×",
        ),
        ("P4 GX / plain SQL", target("p4_gx_ratio_to_sql", "×"), "p4_gx_ratio_to_sql", "×"),
        ("P5 fresh clone `make test`", target("p5_make_test_seconds", " s"), "p5_make_test_seconds", " s"),
    )
    for label, target, key, unit in rows:
        v = g.get(key)
        shown = f"{_fmt(v, 2)}{unit}" if v is not None else f"not measured ({notes.get(key, '')})"
        c, cu = cpu.get(key, (None, ""))
        lines.append(
            f"| {label} | {target} | {shown} | {verdicts.get(key) or '–'} | "
            f"{_fmt(c, 2) + cu if c is not None else '–'} |"
        )
    extra = []
    if p1.get("definition"):
        extra.append(f"P1 and P2 end to end = {p1['definition']}")
    if p1.get("repeat_run_s") is not None:
        extra.append(f"P1 repeated (`run_again`, {p1['repeat_run_definition']}): {p1['repeat_run_s']:.1f} s")
    if p1.get("stages_sum_s") is not None and p1.get("definition") == RUN_DEFINITION:
        extra.append(
            f"P1 as the sum of the stages measured one process each: {p1['stages_sum_s']:.1f} s "
            "(each process pays its own imports and dbt parse)"
        )
    if p1b.get("like_for_like_ratio") is not None:
        extra.append(
            f"P1b like for like (ingest + `dbt run` of only the floor's marts and their parents): "
            f"{p1b['like_for_like_ratio']:.2f}×"
        )
    if p3.get("ledgerlab_route"):
        extra.append(f"P3 = the pandas route's time / ledgerlab's {p3['ledgerlab_route']}")
    if p3.get("speedup_all_marts") is not None:
        extra.append(f"P3 with every dbt model built (ingest + `dbt run` + fit): {p3['speedup_all_marts']:.2f}×")
    if p3.get("speedup_vs_dbt_run_main") is not None:
        extra.append(f"P3 with only the floor's marts built by dbt: {p3['speedup_vs_dbt_run_main']:.2f}×")
    if p4:
        extra.append(f"P4 measured at {p4.get('size'):,} accounts; with GX's import: {_fmt(p4.get('ratio_total'), 2)}×")
    if extra:
        lines.append("")
        lines.extend(f"- {e}" for e in extra)
    lines.append("")
    for size_key, size in sorted(summary["sizes"].items(), key=lambda kv: int(kv[0])):
        trans = size.get("transactions")
        lines.append(f"### {int(size_key):,} accounts ({_fmt(trans)} transactions)\n")
        lines.append(
            "| stage | status | wall s (median) | CPU s | CPU/wall | peak RSS GB (largest process / tree) | load avg | runs (wall s) | notes |"
        )
        lines.append("|---|---|---:|---:|---:|---:|---:|---|---|")
        for stage in STAGE_ORDER:
            s = size["stages"].get(stage)
            if not s:
                continue
            wall = s.get("wall_s") or s.get("failed_wall_s")
            cpu = s.get("cpu_s") or s.get("failed_cpu_s")
            ratio = f"{cpu / wall:.2f}" if wall and cpu else "–"
            rss = (
                f"{_fmt(s.get('max_rss_gb'), 2)} / {_fmt(s.get('tree_rss_gb'), 2)}"
                if s.get("max_rss_gb")
                else f"– / {_fmt(s.get('failed_tree_rss_gb'), 2)}"
            )
            runs = ", ".join(f"{w:.0f}" for w in s.get("wall_s_all", [])) or "–"
            status = s["status"] if s["status"] == "ok" else f"**{s['status']}**"
            note = _stage_note(stage, s)
            if s.get("error") and stage != "pandas":
                note = (note + "; " if note else "") + f"error: `{s['error'][:200]}`"
            lines.append(
                f"| {stage} | {status} | {_fmt(wall)} | {_fmt(cpu)} | {ratio} | {rss} | "
                f"{_fmt(s.get('load_avg_median'))} | {runs} | {note} |"
            )
        lines.append("")
    return "\n".join(lines)


def update_markdown(doc: Path, summary: dict) -> bool:
    """Replace the generated block of ``doc`` (between the markers); False when the markers are absent."""
    if not doc.is_file():
        return False
    text = doc.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        return False
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(head + BEGIN + "\n\n" + markdown(summary) + "\n" + END + tail, encoding="utf-8")
    return True


if __name__ == "__main__":
    main()
