"""How much of a `dbt build` is DuckDB's own work: the build's statements replayed on one connection.

    python -m bench.dbt_replay --target HOME/target --warehouse FILE [--threads 2]

Reads a finished build's ``run_results.json`` and replays every node it executed, in the
order dbt finished them (a node finishes after its parents), on one DuckDB connection:

- a table or incremental model as ``create or replace table <relation> as (<compiled SQL>)``,
  a view as ``create or replace view``: dbt builds ``<name>__dbt_tmp`` and renames it, in
  a transaction; the replay skips the rename and dbt's metadata queries;
- a data test as dbt-duckdb runs it: ``select count(*) … from (<compiled SQL>)``, fetched.

``FILE`` is replaced in place, so give it a copy of a warehouse that holds the raw tables
(an ingested or a built one). The difference between the build's wall time and the
replay's is what dbt adds around the SQL on this machine: start-up, parse, the DAG, Jinja
at run time, per-node bookkeeping, and four threads sharing two cores. Printed per kind of
node, with the build's own per-node times beside it.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import duckdb


def replay_statement(node: dict, materialized: str) -> str | None:
    """The SQL that replays one executed node (None: nothing to replay)."""
    sql, relation = node.get("compiled_code"), node.get("relation_name")
    kind = node["unique_id"].split(".", 1)[0]
    if not sql:
        return None
    if kind == "test":
        return f"select count(*) as failures from ({sql}) as dbt_internal_test"
    if kind == "model" and relation:
        if materialized == "view":
            return f"create or replace view {relation} as ({sql})"
        return f"create or replace table {relation} as ({sql})"
    if kind == "operation":
        return sql
    return None


def replay(target: Path, warehouse: Path, threads: int) -> dict:
    results = json.loads((target / "run_results.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = manifest.get("nodes", {})
    # the compiled SQL names the build's database (its file's stem): attach the copy under it
    catalog = next(r["relation_name"].split(".")[0] for r in results["results"] if r.get("relation_name"))
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as {catalog}")
    con.execute(f"use {catalog}")
    con.execute(f"set threads = {threads}")
    for schema in ("staging", "intermediate", "marts", "quality", "ml"):
        con.execute(f"create schema if not exists {schema}")
    replayed: dict[str, float] = defaultdict(float)
    built: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    started = time.perf_counter()
    for node in results["results"]:
        uid = node["unique_id"]
        kind = uid.split(".", 1)[0]
        materialized = nodes.get(uid, {}).get("config", {}).get("materialized", "")
        statement = replay_statement(node, materialized)
        if statement is None:
            continue
        t0 = time.perf_counter()
        con.execute(statement).fetchall()
        replayed[kind] += time.perf_counter() - t0
        built[kind] += node.get("execution_time") or 0.0
        counts[kind] += 1
    total = time.perf_counter() - started
    con.close()
    return {
        "replay_s": total,
        "build_elapsed_s": results.get("elapsed_time"),
        "replayed_by_kind_s": dict(replayed),
        "build_node_s_by_kind": dict(built),
        "nodes_by_kind": dict(counts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, required=True, help="dbt's target folder of the build")
    parser.add_argument("--warehouse", type=Path, required=True, help="a COPY of a warehouse with the raw tables")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads (ledgerlab's default: 2)")
    args = parser.parse_args()
    out = replay(args.target, args.warehouse, args.threads)
    print(f"replayed {sum(out['nodes_by_kind'].values())} nodes on one connection in {out['replay_s']:.1f} s")
    print(f"dbt's run phase (run_results.json elapsed_time): {out['build_elapsed_s']:.1f} s")
    for kind, n in sorted(out["nodes_by_kind"].items()):
        print(
            f"  {kind:10} {n:4} nodes  replay {out['replayed_by_kind_s'][kind]:6.1f} s"
            f"  dbt's per-node times summed {out['build_node_s_by_kind'][kind]:6.1f} s"
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
