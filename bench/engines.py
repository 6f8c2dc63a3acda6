"""Spark-local against DuckDB on the same raw files (issue #15, docs/SCALE_OUT.md).

    python -m bench.engines --accounts 4500 --accounts 45000

For each size: the generator's bank (reused from ``bench/results/<accounts>/raw``
when ``bench.run`` made it), then on each engine, in its own
``LEDGERLAB_HOME``, the CLI's three data steps, each measured as a child
process (``bench.measure``: wall, CPU of the whole process tree — the Spark
JVM included — and peak RSS):

- ``ledgerlab ingest --engine E --raw RAW``
- ``ledgerlab build --engine E`` (every model, data test and unit test)
- ``ledgerlab validate --engine E`` (every GX suite; exit 1, blocking
  failures found in the generated defects, is a completed run)

Each Spark step starts its own JVM, as a user's separate commands do; the
session start is part of the step's time. Where the time goes comes from
dbt's ``run_results.json`` (per node) and the validation's step seconds.
One JSON line per step goes to ``bench/results/engines.jsonl``; the summary
table is printed for docs/SCALE_OUT.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import time
from pathlib import Path

from bench.measure import run_measured
from bench.run import (
    DEFAULT_OUT,
    REPO,
    SEED,
    SizeRun,
    dbt_node_timings,
    file_bytes,
    parse_generate_log,
    parse_validate_log,
)

ENGINES = ("duckdb", "spark")
STEPS = ("ingest", "build", "validate")
# `ledgerlab validate` exits 1 when a blocking check fails: the generated defects are meant to be found
OK_EXIT = {"ingest": (0,), "build": (0,), "validate": (0, 1)}


def engine_home(size: SizeRun, engine: str) -> Path:
    return size.root / f"engine_{engine}"


def warehouse_of(size: SizeRun, engine: str) -> Path:
    """The engine's tables on disk: DuckDB's folder with its file, Spark's warehouse folder."""
    home = engine_home(size, engine)
    return home / "build" / "spark" / "warehouse" if engine == "spark" else home / "warehouse"


def engine_env(size: SizeRun, engine: str) -> dict[str, str]:
    home = engine_home(size, engine)
    env = size.env()
    env.pop("LEDGERLAB_WAREHOUSE", None)  # each engine's home holds its own warehouse
    env.update(
        LEDGERLAB_HOME=str(home),
        LEDGERLAB_ENGINE=engine,
        LEDGERLAB_SPARK_DIR=str(home / "build" / "spark"),
        DBT_TARGET_PATH=str(home / "target"),
        DBT_LOG_PATH=str(home / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return env


def ensure_raw(size: SizeRun) -> dict:
    """The size's raw files (generated once, seed ``bench.run.SEED``) and their row counts."""
    if size.raw_complete.exists():
        return json.loads(size.raw_complete.read_text())
    if size.raw.exists():
        shutil.rmtree(size.raw)
    command = [sys.executable, "-m", "ledgerlab", "generate", "-n", size.accounts, "--seed", SEED, "-o", size.raw]
    log = size.logs / "engines_generate.log"
    measured = run_measured([str(c) for c in command], env=size.env(), cwd=REPO, log_path=log)
    if measured.status != "ok":
        raise SystemExit(f"generate failed: {measured.error} (log {log})")
    facts = {"accounts": size.accounts, "seed": SEED, **parse_generate_log(log.read_text(errors="replace"))}
    size.raw_complete.write_text(json.dumps(facts))
    return facts


def step_facts(size: SizeRun, engine: str, step: str, log: Path) -> dict:
    home = engine_home(size, engine)
    text = log.read_text(errors="replace")
    if step == "build":
        return dbt_node_timings(home / "target", top=8)
    if step == "validate":
        return parse_validate_log(text)
    if step == "ingest":
        return {"warehouse_bytes": file_bytes(warehouse_of(size, engine))}
    return {}


def append_record(out: Path, record: dict) -> None:
    with out.open("a") as fh:
        fh.write(json.dumps(record) + "\n")


def measure_engine(size: SizeRun, engine: str, out: Path) -> None:
    home = engine_home(size, engine)
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    for step in STEPS:
        command = [sys.executable, "-m", "ledgerlab", step, "--engine", engine]
        if step == "ingest":
            command += ["--raw", str(size.raw)]
        log = size.logs / f"engines_{engine}_{step}.log"
        measured = run_measured(
            command, env=engine_env(size, engine), cwd=REPO, log_path=log, ok_returncodes=OK_EXIT[step]
        )
        facts = step_facts(size, engine, step, log)
        append_record(
            out, {"accounts": size.accounts, "engine": engine, "step": step, **measured.as_dict(), "facts": facts}
        )
        print(
            f"{size.accounts:>7} {engine:<6} {step:<8} {measured.status:<6} wall {measured.wall_s:8.1f} s"
            f"  tree CPU {measured.tree_cpu_s:8.1f} s  peak {measured.tree_rss_gb:5.2f} GB",
            flush=True,
        )
        if measured.status != "ok":
            print(f"  {measured.error} (log {log})", flush=True)
            break
    # the built warehouse's size on disk
    tables = {
        "accounts": size.accounts,
        "engine": engine,
        "step": "tables",
        "bytes": file_bytes(warehouse_of(size, engine)),
    }
    append_record(out, tables)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--accounts", type=int, action="append", help="bank size (repeatable; default 4500)")
    parser.add_argument("--engines", default=",".join(ENGINES), help="duckdb,spark")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = args.out / "engines.jsonl"
    command = " ".join(["python -m bench.engines", *(argv if argv is not None else sys.argv[1:])])
    append_record(
        results,
        {"started_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": platform.platform(), "command": command},
    )
    for accounts in args.accounts or [4500]:
        size = SizeRun(args.out, accounts)
        facts = ensure_raw(size)
        print(f"{accounts} accounts: {facts.get('rows', {}).get('trans', '?')} transactions", flush=True)
        for engine in args.engines.split(","):
            measure_engine(size, engine, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
