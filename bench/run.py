"""The scale ladder: every pipeline stage at several sizes, each as a measured child process.

    python -m bench.run [--sizes 4500,45000,450000] [--repeats N] [--stages a,b,...] [--smoke]

Per size, in ``bench/results/<accounts>/`` (ignored by git): the raw files
(``raw/``), a LEDGERLAB_HOME (``home/``) and the warehouses, so a benchmark
never touches the user's warehouse. Per repeat the stages run in this order,
each as its own process (wall, CPU = user+sys of the child tree, peak RSS):

  generate   ledgerlab generate -n N            (skipped when omitted and raw/ is complete)
  ingest     ledgerlab ingest (fresh warehouse)
  dbt_run    dbt run, models only (P1b), on a copy of the ingested warehouse
  dbt_run_main  dbt run of only the floor's marts and their parents (+fct_transactions +account_monthly
             +loan_features), on another copy: the like-for-like half of P1b (only when asked)
  dbt_run_loan  dbt run of loan_features and its parents (+loan_features), on another copy: what the
             pandas route computes, the like-for-like ledgerlab half of P3 (only when asked)
  fit        bench.model_fit on that warehouse (P3: the model fit both routes share)
  dbt_build  ledgerlab build = dbt build (models + tests), on the ingested warehouse
  dbt_test   dbt test (only when asked: with dbt_run and no dbt_build, build ≈ run + test)
  validate   ledgerlab validate (exit 1 = blocking failures found: still a measured run)
  train      ledgerlab train --task loan_default --allow-failed-quality
  score      ledgerlab score --task loan_default --allow-failed-quality
  report     ledgerlab report
  floor      bench.floor: one DuckDB SQL script, raw files → the same marts
  pandas     bench.pandas_route: pandas + the same model (memory/time caps at large sizes)
  gx_vs_sql  bench.gx_vs_sql, when the GX side provides it (P4)
  run        ledgerlab run --accounts N --seed 42, in a fresh home of its own: exactly what `make run`
             runs (generate → report in one process, every default task), which P1 and P2 are judged on
  run_again  the same command once more in the same home (only when asked): a repeated `make run`,
             with the training cache and dbt's partial parse of the first
  make_test  `make test` in a fresh clone of HEAD, install included, with ../shared beside it and
             CI=true, as CI runs it (only when asked; P5); the clone is removed afterwards

Every measurement is appended to ``<out>/<accounts>/records.jsonl`` as soon
as it exists (a long run loses nothing), then ``bench.report`` turns all
records into the JSON summary and the plot.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.measure import Measurement, run_measured
from ledgerlab.core import config

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_OUT = REPO / "bench" / "results"
DEFAULT_SIZES = (4_500, 45_000, 450_000)
ALL_STAGES = (
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
# Stages that run only part of the dbt project, each on its own copy of the ingested warehouse.
SELECTIVE_DBT_RUNS = {
    "dbt_run_main": "+fct_transactions +account_monthly +loan_features",  # the floor's marts (P1b)
    "dbt_run_loan": "+loan_features",  # the pandas route's one mart (P3)
}
DEFAULT_STAGES = (
    "generate",
    "ingest",
    "dbt_run",
    "fit",
    "dbt_build",
    "validate",
    "train",
    "score",
    "report",
    "floor",
    "pandas",
    "gx_vs_sql",
    "run",
)
SMOKE_STAGES = ("generate", "ingest", "floor", "pandas")
# the stages that read the ladder's raw files (`run` generates its own in its own home)
RAW_FILE_STAGES = ("ingest", "floor", "pandas")
SEED = 42
TASK = "loan_default"
MART_TABLES = ("fct_transactions", "account_monthly", "loan_features", "fct_digital_events", "quarantine_rows")
# the code a measurement depends on (the repo changes while benches run: this tells runs apart)
CODE_DIRS = ("ledgerlab", "models_sql", "dbt_project", "ml", "expectations", "bench")


def code_fingerprint() -> dict[str, str]:
    out = {}
    for folder in CODE_DIRS:
        digest = hashlib.sha256()
        for path in sorted((REPO / folder).rglob("*")):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and path.suffix in (".py", ".sql", ".yml", ".yaml", ".md")
            ):
                digest.update(str(path.relative_to(REPO)).encode())
                digest.update(path.read_bytes())
        out[folder] = digest.hexdigest()[:12]
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    out["git_head"] = head.stdout.strip()
    return out


def single_thread_fit(env: dict[str, str]) -> dict[str, str]:
    """One OpenMP thread for the P3 model fit, the same on both routes.

    On this shared, oversubscribed machine HistGradientBoosting's OpenMP
    barriers wait for descheduled threads: 48 rows took 23 s with 2 threads
    and 0.4 s with one. P3 compares data preparation; the identical fit must
    not drown it in scheduler noise.
    """
    return {**env, "OMP_NUM_THREADS": "1"}


class SizeRun:
    """Paths and environment of one size's benchmark folder."""

    def __init__(self, out: Path, accounts: int, file_format: str = "csv") -> None:
        self.accounts = accounts
        self.root = (out / str(accounts)).resolve()
        self.raw = self.root / "raw"
        self.home = self.root / "home"
        self.logs = self.root / "logs"
        self.warehouse = self.root / "warehouse.duckdb"
        self.warehouse_run = self.root / "warehouse_dbt_run.duckdb"
        self.floor_db = self.root / "floor.duckdb"
        self.pandas_out = self.root / "pandas_loan_features.parquet"
        self.records = self.root / "records.jsonl"
        self.file_format = file_format
        for folder in (self.root, self.home, self.logs):
            folder.mkdir(parents=True, exist_ok=True)

    def env(self, warehouse: Path | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "LEDGERLAB_HOME": str(self.home),
                "LEDGERLAB_WAREHOUSE": str(warehouse or self.warehouse),
                "DO_NOT_TRACK": "1",
                "GX_ANALYTICS_ENABLED": "false",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def dbt_env(self, warehouse: Path) -> dict[str, str]:
        env = self.env(warehouse)
        env.update(
            {
                "DBT_TARGET_PATH": str(self.home / "target"),
                "DBT_LOG_PATH": str(self.home / "logs"),
                "DBT_PROFILES_DIR": str(REPO),
                "DBT_PROJECT_DIR": str(REPO),
                "DBT_USE_COLORS": "false",
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            }
        )
        return env

    @property
    def raw_complete(self) -> Path:
        return self.raw / ".bench_complete.json"


def drop_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def file_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def raw_facts(raw: Path) -> dict:
    files = {p.name: p.stat().st_size for p in sorted(raw.iterdir()) if p.is_file() and not p.name.startswith(".")}
    return {"raw_bytes": sum(files.values()), "raw_file_bytes": files}


def parse_generate_log(text: str) -> dict:
    out: dict = {}
    m = re.search(r"^rows: (.*)$", text, re.M)
    if m:
        out["rows"] = {k: int(v.replace(",", "")) for k, v in re.findall(r"(\w+) ([\d,]+)", m.group(1))}
    m = re.search(r"digital events: ([\d,]+)", text)
    if m:
        out.setdefault("rows", {})["digital_events"] = int(m.group(1).replace(",", ""))
    m = re.search(r"loans: ([\d,]+)", text)
    if m:
        out["loans"] = int(m.group(1).replace(",", ""))
    return out


def parse_run_log(text: str) -> dict:
    """Seconds per step from `ledgerlab run`'s "✓ step (12.3 s)" lines."""
    steps = {name: float(seconds) for name, seconds in re.findall(r"^[✓✗–] (.+?) \(([\d.]+) s\)$", text, re.M)}
    return {"step_seconds": steps} if steps else {}


def parse_validate_log(text: str) -> dict:
    """Counts from `ledgerlab validate`'s headline ("validation ID: N suites, M expectations, ...")."""
    head = re.search(r"validation \S+: (\d+) suites, (\d+) expectations, (\d+) failed \((\d+) blocking\)", text)
    return dict(zip(("suites", "expectations", "failed", "blocking_failed"), map(int, head.groups()))) if head else {}


def parse_pytest_summary(text: str) -> dict:
    """Counts and seconds of pytest's closing line ("== 493 passed, 1 skipped in 522.78s (0:08:42) ==")."""
    for line in reversed(text.strip().splitlines()):
        summary = re.match(r"^=+ (.+) in ([\d.]+)s\b", line)
        if summary:
            counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary.group(1))}
            return {"pytest_counts": counts, "pytest_seconds": float(summary.group(2))}
    return {}


def parse_kv(text: str) -> dict:
    """``key=value`` pairs on the last such line of a bench helper's output."""
    for line in reversed(text.strip().splitlines()):
        pairs = re.findall(r"(\w+)=([^\s]+)", line)
        if pairs:
            out = {}
            for k, v in pairs:
                try:
                    out[k] = int(v)
                except ValueError:
                    try:
                        out[k] = float(v)
                    except ValueError:
                        out[k] = v
            return out
    return {}


def warehouse_facts(path: Path, schema_tables: dict[str, tuple[str, ...]]) -> dict:
    """Row counts of the given tables (read-only; absent tables are left out) and the file size."""
    out: dict = {"db_bytes": file_bytes(path)}
    if not path.exists():
        return out
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        existing = {
            f"{s}.{t}"
            for s, t in con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        }
        rows = {}
        for schema, tables in schema_tables.items():
            for table in tables:
                if f"{schema}.{table}" in existing:
                    rows[f"{schema}.{table}"] = con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
        out["rows"] = rows
        if "raw._ingest_manifest" in existing:
            out["rejected_lines"] = con.execute(
                "select coalesce(sum(rejected_lines), 0) from raw._ingest_manifest"
            ).fetchone()[0]
    finally:
        con.close()
    return out


def dbt_node_timings(target: Path, top: int = 12) -> dict:
    """Per-node execution times from dbt's run_results.json: where a dbt command spends its time."""
    path = target / "run_results.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    nodes = [
        (r.get("unique_id", "?"), float(r.get("execution_time") or 0.0), r.get("status"))
        for r in data.get("results", [])
    ]
    nodes.sort(key=lambda n: -n[1])
    by_kind: dict[str, float] = {}
    for uid, seconds, _ in nodes:
        kind = uid.split(".", 1)[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + seconds
    return {
        "dbt_elapsed_s": data.get("elapsed_time"),
        "dbt_nodes": len(nodes),
        "dbt_node_seconds_sum": round(sum(n[1] for n in nodes), 2),
        "dbt_seconds_by_kind": {k: round(v, 2) for k, v in by_kind.items()},
        "dbt_slowest_nodes": [
            [uid.split(".", 2)[-1] if uid.count(".") >= 2 else uid, round(sec, 2), status]
            for uid, sec, status in nodes[:top]
        ],
        "dbt_not_ok": [[uid, status] for uid, _, status in nodes if status not in ("success", "pass")][:20],
    }


RAW_TABLES = ("account", "client", "disp", "order", "loan", "card", "district", "trans", "digital_events")


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self.code = code_fingerprint()
        self.failed_stages: set[tuple[int, str]] = set()

    # -- bookkeeping -----------------------------------------------------------------------
    def record(
        self,
        sr: SizeRun,
        stage: str,
        repeat: int,
        m: Measurement | None,
        facts: dict | None = None,
        skipped: str | None = None,
    ) -> dict:
        rec = {
            "run_id": self.run_id,
            "size": sr.accounts,
            "stage": stage,
            "repeat": repeat,
            "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "code": self.code,
            "measurement": m.as_dict() if m else None,
            "facts": facts or {},
            "skipped": skipped,
        }
        with sr.records.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")
        if m is not None:
            state = m.status if m.status != "ok" else "ok"
            line = (
                f"[{sr.accounts:>7} r{repeat}] {stage:<10} {state:<7} wall {m.wall_s:8.1f} s  cpu {m.cpu_s:8.1f} s  "
                f"rss {m.max_rss_gb:5.2f} GB (tree {m.tree_rss_gb:5.2f})  load {m.load_before:.1f}->{m.load_after:.1f}"
            )
            if m.error:
                line += f"\n      {m.error}"
        else:
            line = f"[{sr.accounts:>7} r{repeat}] {stage:<10} skipped: {skipped}"
        print(line, flush=True)
        return rec

    def measure(
        self, sr: SizeRun, stage: str, repeat: int, command: list, env: dict, cwd: Path = REPO, **kw
    ) -> Measurement:
        log = sr.logs / f"{stage}_r{repeat}_{self.run_id}.log"
        return run_measured([str(c) for c in command], env=env, cwd=cwd, log_path=log, **kw)

    def measure_make_test(self, sr: SizeRun, repeat: int) -> None:
        """P5: `make test` in a fresh clone of HEAD, install included, as CI runs it.

        The clone gets ``../shared`` beside it (a link to this checkout's), as CI does, and an
        environment without this shell's LEDGERLAB_* settings. Uncommitted changes are not in
        a clone: the record names the commit measured.
        """
        workdir = Path(tempfile.mkdtemp(prefix="ledgerlab-make-test-"))
        clone = workdir / REPO.name
        try:
            subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
            if (REPO.parent / "shared").exists():
                (workdir / "shared").symlink_to(REPO.parent / "shared")
            env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGERLAB_", "DBT_", "VIRTUAL_ENV"))}
            env["CI"] = "true"  # a missing Java or pyspark fails the Spark tests instead of skipping them
            m = self.measure(sr, "make_test", repeat, ["make", "test"], env, cwd=clone)
            self.record(sr, "make_test", repeat, m, parse_pytest_summary(Path(m.log).read_text(errors="replace")))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    # -- the stages --------------------------------------------------------------------------
    def run_size(self, accounts: int, repeats: int, stages: tuple[str, ...]) -> None:
        sr = SizeRun(self.args.out, accounts, self.args.format)
        py = [sys.executable, "-m"]
        for repeat in range(repeats):
            self.failed_stages.clear()
            run_db = sr.warehouse_run if "dbt_build" in stages else sr.warehouse

            if "generate" in stages:
                if sr.raw.exists():
                    shutil.rmtree(sr.raw)
                cmd = [*py, "ledgerlab", "generate", "-n", accounts, "--seed", SEED, "-o", sr.raw]
                if sr.file_format != "csv":
                    cmd += ["--format", sr.file_format]
                m = self.measure(sr, "generate", repeat, cmd, sr.env())
                facts = {}
                if m.status == "ok":
                    facts = {**parse_generate_log(Path(m.log).read_text(errors="replace")), **raw_facts(sr.raw)}
                    sr.raw_complete.write_text(json.dumps({"accounts": accounts, "seed": SEED, **facts}))
                self.record(sr, "generate", repeat, m, facts)
                if m.status != "ok":
                    print("generate failed: nothing else can run at this size", flush=True)
                    return
            elif not sr.raw_complete.exists() and any(stage in RAW_FILE_STAGES for stage in stages):
                print(f"{sr.raw}: no complete raw data; include the generate stage", flush=True)
                return

            if "ingest" in stages:
                drop_db(sr.warehouse)
                m = self.measure(sr, "ingest", repeat, [*py, "ledgerlab", "ingest", "--raw", sr.raw], sr.env())
                facts = warehouse_facts(sr.warehouse, {"raw": RAW_TABLES}) if m.status == "ok" else {}
                if m.status == "ok":
                    facts.update(raw_facts(sr.raw))
                self.record(sr, "ingest", repeat, m, facts)

            if "dbt_run" in stages:
                if run_db != sr.warehouse:
                    drop_db(run_db)
                    if sr.warehouse.exists():
                        shutil.copyfile(sr.warehouse, run_db)
                m = self.measure(sr, "dbt_run", repeat, [BIN / "dbt", "run"], sr.dbt_env(run_db))
                facts = warehouse_facts(run_db, {"marts": MART_TABLES})
                facts.update(dbt_node_timings(sr.home / "target"))
                self.record(sr, "dbt_run", repeat, m, facts)

            for stage, selection in SELECTIVE_DBT_RUNS.items():
                if stage not in stages:
                    continue
                selected_db = sr.root / f"warehouse_{stage}.duckdb"
                drop_db(selected_db)
                if sr.warehouse.exists():
                    shutil.copyfile(sr.warehouse, selected_db)
                cmd = [BIN / "dbt", "run", "--select", selection]
                m = self.measure(sr, stage, repeat, cmd, sr.dbt_env(selected_db))
                facts = warehouse_facts(selected_db, {"marts": MART_TABLES})
                facts.update(dbt_node_timings(sr.home / "target"))
                self.record(sr, stage, repeat, m, facts)
                if not self.args.keep:
                    drop_db(selected_db)

            if "fit" in stages:
                m = self.measure(
                    sr,
                    "fit",
                    repeat,
                    [*py, "bench.model_fit", "--warehouse", run_db],
                    single_thread_fit(sr.env(run_db)),
                )
                self.record(sr, "fit", repeat, m, parse_kv(Path(m.log).read_text(errors="replace")))

            if "dbt_build" in stages:
                m = self.measure(sr, "dbt_build", repeat, [*py, "ledgerlab", "build"], sr.env())
                facts = warehouse_facts(sr.warehouse, {"marts": MART_TABLES})
                text = Path(m.log).read_text(errors="replace")
                summary = re.search(r"PASS=\d+.*TOTAL=\d+", text)
                if summary:
                    facts["dbt_summary"] = summary.group(0)
                facts.update(dbt_node_timings(sr.home / "target"))
                self.record(sr, "dbt_build", repeat, m, facts)
                if run_db != sr.warehouse and not self.args.keep:
                    drop_db(run_db)

            if "dbt_test" in stages:
                m = self.measure(sr, "dbt_test", repeat, [BIN / "dbt", "test"], sr.dbt_env(sr.warehouse))
                text = Path(m.log).read_text(errors="replace")
                summary = re.search(r"PASS=\d+.*TOTAL=\d+", text)
                facts = {"dbt_summary": summary.group(0)} if summary else {}
                facts.update(dbt_node_timings(sr.home / "target"))
                self.record(sr, "dbt_test", repeat, m, facts)

            if "validate" in stages:
                m = self.measure(sr, "validate", repeat, [*py, "ledgerlab", "validate"], sr.env())
                text = Path(m.log).read_text(errors="replace")
                facts = parse_validate_log(text)
                if m.status == "failed" and m.returncode == 1 and "blocking quality failures" in text:
                    m.status, m.error = "ok", None  # ran to the end and found blocking failures: a result
                    facts["blocking_failures_found"] = True
                self.record(sr, "validate", repeat, m, facts)

            for stage, args in (("train", ["train"]), ("score", ["score"])):
                if stage in stages:
                    cmd = [*py, "ledgerlab", *args, "--task", TASK, "--allow-failed-quality"]
                    m = self.measure(sr, stage, repeat, cmd, sr.env())
                    self.record(sr, stage, repeat, m, {"db_bytes": file_bytes(sr.warehouse)})

            if "report" in stages:
                m = self.measure(sr, "report", repeat, [*py, "ledgerlab", "report"], sr.env())
                self.record(sr, "report", repeat, m)

            if "floor" in stages:
                drop_db(sr.floor_db)
                m = self.measure(
                    sr, "floor", repeat, [*py, "bench.floor", "--raw", sr.raw, "--db", sr.floor_db], sr.env()
                )
                facts = parse_kv(Path(m.log).read_text(errors="replace")) if m.status == "ok" else {}
                facts["db_bytes"] = file_bytes(sr.floor_db)
                self.record(sr, "floor", repeat, m, facts)

            if "pandas" in stages:
                sr.pandas_out.unlink(missing_ok=True)
                caps = {}
                if self.args.pandas_mem_cap_gb:
                    caps["mem_cap_gb"] = self.args.pandas_mem_cap_gb
                if self.args.pandas_time_cap_s:
                    caps["time_cap_s"] = self.args.pandas_time_cap_s
                cmd = [*py, "bench.pandas_route", "--raw", sr.raw, "--out", sr.pandas_out]
                if self.args.pandas_no_fit:
                    cmd.append("--no-fit")
                m = self.measure(sr, "pandas", repeat, cmd, single_thread_fit(sr.env()), **caps)
                facts = parse_kv(Path(m.log).read_text(errors="replace")) if m.status == "ok" else {}
                facts["caps"] = caps
                self.record(sr, "pandas", repeat, m, facts)

            if "gx_vs_sql" in stages:
                script = REPO / "bench" / "gx_vs_sql.py"
                if not script.is_file():
                    self.record(sr, "gx_vs_sql", repeat, None, skipped="bench/gx_vs_sql.py does not exist (yet)")
                elif not sr.warehouse.exists():
                    self.record(sr, "gx_vs_sql", repeat, None, skipped="no warehouse")
                else:
                    result_file = REPO / "bench" / "results" / "gx_vs_sql_warehouse.json"
                    started = time.time()
                    cmd = [
                        *py,
                        "bench.gx_vs_sql",
                        "--warehouse",
                        sr.warehouse,
                        "--repeat",
                        "1",
                        "--workdir",
                        sr.root / "gx_vs_sql",
                    ]
                    m = self.measure(sr, "gx_vs_sql", repeat, cmd, sr.env())
                    facts = {}
                    if result_file.is_file() and result_file.stat().st_mtime >= started:
                        theirs = json.loads(result_file.read_text(encoding="utf-8"))
                        keep = (
                            "checks",
                            "suites",
                            "gx_import_s",
                            "gx_validation_s",
                            "gx_rest_of_validate_s",
                            "gx_total_s",
                            "plain_sql_s",
                            "ratio_validation",
                            "ratio_total",
                            "outcome_mismatches",
                            "raw_transactions",
                        )
                        facts = {k: theirs.get(k) for k in keep}
                    self.record(sr, "gx_vs_sql", repeat, m, facts)

            if "make_test" in stages:
                self.measure_make_test(sr, repeat)

            run_home = sr.root / "run_home"
            env = {**sr.env(config.default_warehouse(run_home)), "LEDGERLAB_HOME": str(run_home)}
            # exactly `make run`: every default task (no --task)
            cmd = [*py, "ledgerlab", "run", "--accounts", accounts, "--seed", SEED]
            for stage in ("run", "run_again"):
                if stage not in stages:
                    continue
                if stage == "run":
                    # its own home and warehouse, from scratch: what `make run` does on a fresh clone
                    shutil.rmtree(run_home, ignore_errors=True)
                elif not (run_home / "build").is_dir():
                    self.record(sr, stage, repeat, None, skipped="needs the run stage before it (same home)")
                    continue
                m = self.measure(sr, stage, repeat, cmd, env)
                facts: dict = {}
                try:  # a measured run is never lost to a fact that cannot be read
                    facts = parse_run_log(Path(m.log).read_text(errors="replace"))
                    # where the build's time went: ledgerlab's dbt writes into <LEDGERLAB_HOME>/target
                    facts.update(dbt_node_timings(run_home / "target"))
                except Exception as exc:  # noqa: BLE001 - recorded, not raised
                    facts["facts_error"] = f"{type(exc).__name__}: {exc}"
                self.record(sr, stage, repeat, m, facts)
            if ("run" in stages or "run_again" in stages) and not self.args.keep:
                shutil.rmtree(run_home, ignore_errors=True)  # at 100 M: another 12 GB of raw files


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="ledgerlab scale benchmarks (see docs/BENCHMARKS.md).")
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="comma-separated account counts (4500 ≈ 1 M transactions)",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="runs per size (default: 3 at <= 4,500 accounts, else 1)"
    )
    parser.add_argument("--stages", default=",".join(DEFAULT_STAGES), help=f"any of {','.join(ALL_STAGES)}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder (default bench/results)")
    parser.add_argument(
        "--json",
        type=Path,
        default=REPO / "docs" / "benchmarks.json",
        help="summary JSON to (re)write from every record under --out",
    )
    parser.add_argument("--plot", type=Path, default=REPO / "docs" / "benchmarks_time_vs_size.svg")
    parser.add_argument("--format", default="csv", choices=("csv", "parquet"), help="generator output format")
    parser.add_argument(
        "--pandas-mem-cap-gb",
        type=float,
        default=12.0,
        help="kill the pandas route above this process-tree RSS (0: no cap)",
    )
    parser.add_argument(
        "--pandas-time-cap-s",
        type=float,
        default=3600.0,
        help="kill the pandas route after this many seconds (0: no cap)",
    )
    parser.add_argument(
        "--pandas-no-fit",
        action="store_true",
        help="pandas route stops at loan_features (the smoke test: no scikit-learn import)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the dbt-run copy of the warehouse")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"200 accounts, 1 repeat, stages {','.join(SMOKE_STAGES)} (pandas without the fit), into a temp folder",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        if args.out == DEFAULT_OUT:
            args.out = Path(tempfile.mkdtemp(prefix="ledgerlab-bench-smoke-"))
        if "--sizes" not in (argv or sys.argv):
            args.sizes = "200"
        if "--stages" not in (argv or sys.argv):
            args.stages = ",".join(SMOKE_STAGES)
        args.repeats = args.repeats or 1
        args.pandas_no_fit = True
        if args.json == REPO / "docs" / "benchmarks.json":
            args.json = args.out / "benchmarks.json"
        if args.plot == REPO / "docs" / "benchmarks_time_vs_size.svg":
            args.plot = args.out / "benchmarks_time_vs_size.svg"
    stages = tuple(s.strip() for s in args.stages.split(",") if s.strip())
    unknown = [s for s in stages if s not in ALL_STAGES]
    if unknown:
        parser.error(f"unknown stage(s) {unknown}; known: {', '.join(ALL_STAGES)}")
    args.stage_list = stages
    args.size_list = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    bench = Bench(args)
    print(f"run {bench.run_id}: sizes {args.size_list}, stages {','.join(args.stage_list)}, out {args.out}", flush=True)
    for accounts in args.size_list:
        repeats = args.repeats or (3 if accounts <= 4_500 else 1)
        bench.run_size(accounts, repeats, args.stage_list)
        from bench.report import update_markdown, write_summary  # after every size: nothing is lost

        summary = write_summary(args.out, args.json, args.plot)
        if args.json == REPO / "docs" / "benchmarks.json":
            update_markdown(REPO / "docs" / "BENCHMARKS.md", summary)
    print(f"summary: {args.json}; plot: {args.plot}", flush=True)


if __name__ == "__main__":
    main()
