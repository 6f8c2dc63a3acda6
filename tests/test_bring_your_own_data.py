"""Bring your own data: a new source, its models and a task, by declaration only.

In a temporary copy of the project, the test adds what docs/ADDING_A_SOURCE.md
tells a user to add — a sources file, a staging model, a validated model, a
mart and a task YAML (plus a copy of that YAML under another name) — for a
small made-up loyalty-club file it writes itself, then runs
`ledgerlab run --source loyalty=FILE`: ingest → dbt build → validate → train
→ score → report, without the Berka files. No .py file may change.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ledgerlab.core import config

pytestmark = pytest.mark.slow

SOURCES_YML = """\
version: 2

sources:
  - name: loyalty
    description: Members of a made-up loyalty club, one CSV row per member.
    schema: raw
    loader: ledgerlab ingest
    config:
      meta:
        format: delimited
        delimiter: ","
        encoding: auto
    tables:
      - name: members
        description: One row per member, as exported.
        config:
          meta:
            files: ["members_*.csv"]
            key: [member_id]
            quarantine_model: int_members_validated
        columns:
          - name: member_id
            description: Member number.
            config: {meta: {type: integer, not_null: true}}
          - name: tier
            description: Club tier (bronze, silver, gold; unknown when not recorded).
            config: {meta: {accepted_values: [bronze, silver, gold, unknown]}}
          - name: visits
            description: Visits in the last year; -1 when not tracked.
          - name: monthly_spend
            description: Average monthly spend, EUR.
            config: {meta: {type: decimal}}
          - name: churned
            description: 1 when the member left within the next year.
          - name: _source_file
            description: File name.
          - name: _source_line
            description: Line in the file.
          - name: _loaded_at
            description: Load time.
"""

STAGING_SQL = """\
with source as (select * from {{ source('loyalty', 'members') }}),

decoded as (
    select
        {{ parse_id('member_id') }} as member_id,
        lower(trim(tier)) as tier,
        nullif({{ safe_cast('trim(visits)', 'integer') }}, -1) as visits,
        {{ parse_amount('monthly_spend', 'double') }} as monthly_spend,
        trim(churned) = '1' as churned,
        {{ flag_reasons([
            ['null_key', is_null_key(['member_id'])],
            ['impossible_amount', is_unparseable_number('monthly_spend')],
        ]) }} as rejection_reasons,
        cast(null as varchar) as repair_reasons,
        {{ row_fingerprint(['member_id', 'tier', 'visits', 'monthly_spend', 'churned']) }} as row_fingerprint,
        {{ raw_record_json(['member_id', 'tier', 'visits', 'monthly_spend', 'churned']) }} as raw_record,
        _source_file,
        _source_line,
        _loaded_at
    from source
)

select *, {{ quality_flag_columns() }} from decoded
"""

MODELS_YML = """\
version: 2

models:
  - name: stg_loyalty__members
    description: Loyalty members, typed, with their quality verdicts.
  - name: int_members_validated
    description: Every member row with its final verdict (clean or quarantined).
  - name: member_churn_features
    description: One row per clean member, the churn task's mart.
"""

VALIDATED_SQL = "{{ validated_rows('stg_loyalty__members') }}\n"

MART_SQL = """\
with members as ({{ clean_rows('int_members_validated') }})

select member_id, tier, coalesce(visits, 0) as visits, visits is null as visits_untracked,
    monthly_spend, churned
from members
"""

TASK_YAML = """\
name: member_churn
description: Probability that a loyalty-club member leaves within a year.
mart: marts.member_churn_features
key: member_id
target: churned
date_column: null
features:
  numeric: [visits, monthly_spend]
  binary: [visits_untracked]
  categorical: [tier]
split:
  strategy: stratified_cv
  cv_folds: 3
  cv_repeats: 1
search:
  n_iter: 2
  inner_folds: 2
candidates:
  dummy: {estimator: dummy, complexity: 0}
  logistic:
    estimator: logistic
    complexity: 1
    params: {max_iter: 500}
    search:
      C: {loguniform: [0.01, 10.0]}
bootstrap_reps: 50
min_rows: 200
min_positives: 20
"""


def write_members(path: Path, rows: int = 1500, seed: int = 13) -> int:
    """A made-up extract with signal (few visits, low spend → churn) and the usual quirks."""
    rng = random.Random(seed)
    lines = ["member_id,tier,visits,monthly_spend,churned"]
    for member in range(1, rows + 1):
        tier = rng.choices(["bronze", "silver", "gold", "unknown"], [50, 30, 15, 5])[0]
        visits = rng.randint(0, 40)
        spend = round(rng.lognormvariate(3.5, 0.6), 2)
        logit = 1.2 - 0.12 * visits - 0.015 * spend + (0.8 if tier == "bronze" else 0.0)
        churned = int(rng.random() < 1 / (1 + math.exp(-logit)))
        shown_visits = -1 if rng.random() < 0.04 else visits  # not tracked
        lines.append(f"{member},{tier},{shown_visits},{spend},{churned}")
    lines.append("x,gold,3,not-a-number,0")  # rejected in staging: null_key and impossible_amount
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rows + 1


def copy_project(target: Path) -> Path:
    files = (
        subprocess.run(["git", "ls-files", "-z"], cwd=config.REPO_ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, files):
        source = config.REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def python_files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.py"))
        if ".venv" not in p.parts
    }


@pytest.fixture(scope="module")
def byod(tmp_path_factory: pytest.TempPathFactory) -> dict:
    if shutil.which("git") is None or not (config.REPO_ROOT / ".git").exists():
        pytest.skip("needs the project's git checkout to copy it")
    base = tmp_path_factory.mktemp("byod")
    project = copy_project(base / "project")
    before = python_files(project)

    # What a user adds: every file named in docs/ADDING_A_SOURCE.md, no Python.
    (project / "models_sql/staging/loyalty").mkdir(parents=True)
    (project / "models_sql/staging/loyalty/_loyalty__sources.yml").write_text(SOURCES_YML)
    (project / "models_sql/staging/loyalty/stg_loyalty__members.sql").write_text(STAGING_SQL)
    (project / "models_sql/intermediate/loyalty").mkdir(parents=True)
    (project / "models_sql/intermediate/loyalty/int_members_validated.sql").write_text(VALIDATED_SQL)
    (project / "models_sql/marts/loyalty").mkdir(parents=True)
    (project / "models_sql/marts/loyalty/member_churn_features.sql").write_text(MART_SQL)
    (project / "models_sql/marts/loyalty/_loyalty__models.yml").write_text(MODELS_YML)
    (project / "ml/tasks/member_churn.yaml").write_text(TASK_YAML)
    # Copying a task YAML under a new name is enough for `ledgerlab run` to train it.
    (project / "ml/tasks/member_churn_copy.yaml").write_text(
        TASK_YAML.replace("name: member_churn", "name: member_churn_copy")
    )

    data = base / "exports"
    data.mkdir()
    lines = write_members(data / "members_2026.csv")

    home = base / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGERLAB_", "DBT_"))}
    env.update(
        LEDGERLAB_HOME=str(home),
        LEDGERLAB_WAREHOUSE=str(home / "warehouse" / "byod.duckdb"),
        DBT_TARGET_PATH=str(home / "target"),
        DBT_LOG_PATH=str(home / "logs"),
        DO_NOT_TRACK="1",
        GX_ANALYTICS_ENABLED="false",
        PYTHONPATH=str(project),
    )
    where = subprocess.run(
        [sys.executable, "-c", "import ledgerlab; print(ledgerlab.__file__)"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(project)), where  # the copy runs, not the checkout
    proc = subprocess.run(
        [sys.executable, "-m", "ledgerlab", "run", "--source", f"loyalty={data}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    return {"project": project, "home": home, "proc": proc, "before": before, "lines": lines}


def test_the_new_source_runs_end_to_end_with_no_python_edit(byod: dict) -> None:
    proc = byod["proc"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert python_files(byod["project"]) == byod["before"], "a .py file was changed or added"
    metrics = {
        task: json.loads((byod["home"] / "reports/models" / task / "metrics.json").read_text())
        for task in ("member_churn", "member_churn_copy")
    }  # the copy was trained with no code edit
    assert metrics["member_churn"]["roc_auc"] > 0.7  # the made-up signal is learnt
    assert metrics["member_churn_copy"]["roc_auc"] == pytest.approx(metrics["member_churn"]["roc_auc"])
    # the Berka and Taiwan tasks were skipped with a one-line note naming what is missing
    assert re.search(
        r"skipped: loan_default: marts.loan_features is empty \(sources berka, digital not ingested\)", proc.stdout
    ), proc.stdout
    assert re.search(r"skipped: card_default: .* \(source taiwan not ingested\)", proc.stdout), proc.stdout


def test_every_line_of_the_new_file_is_accounted_for(byod: dict) -> None:
    with duckdb.connect(str(byod["home"] / "warehouse" / "byod.duckdb"), read_only=True) as con:
        raw = con.execute("select count(*) from raw.members").fetchall()[0][0]
        clean = con.execute("select count(*) from marts.member_churn_features").fetchall()[0][0]
        quarantined = con.execute(
            "select source_line, reason from marts.quarantine_rows where source_table = 'members' order by 1, 2"
        ).fetchall()
    assert raw == byod["lines"] == clean + 1
    assert quarantined == [(byod["lines"] + 1, "null_key")]  # the bad last line, its decisive reason


def test_the_new_source_is_validated_and_profiled(byod: dict) -> None:
    summary = json.loads((byod["home"] / "reports/quality/summary.json").read_text())
    suites = {s["name"]: s for s in summary["suites"]}
    assert suites["raw.members"]["n_blocking_failed"] == 0
    assert {e["id"] for e in suites["raw.members"]["expectations"]} >= {
        "columns_match_catalog",
        "member_id_unique",
        "member_id_is_integer",
        "tier_in_domain",
    }
    flagged = {(p["table"], p["check"]): p for p in summary["profile"]}
    sentinel = flagged[("raw.members", "sentinel_values")]["sample"]
    assert [(f["column_name"], f["value"]) for f in sentinel] == [("visits", "-1")]
    unknown = flagged[("raw.members", "unknown_categories")]["sample"]
    assert [(f["column_name"], f["value"]) for f in unknown] == [("tier", "unknown")]
