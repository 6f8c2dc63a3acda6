"""The suites' SQL checks, rewritten from DuckDB's dialect for Spark SQL.

The suites are written once, in DuckDB SQL (``expectations.suites``). On the
Spark engine each ``UnexpectedRowsExpectation`` query passes through
``for_spark``, which rewrites the few constructs the two dialects spell
differently. Each rule is exact for the forms the suites use, and the Spark
validation test (``tests/ledgerlab/engines/test_spark.py``)
compares every expectation's result on both engines, so a query that a rule
translates wrongly fails there:

| DuckDB | Spark |
|---|---|
| ``"name"`` (quoted identifier) | ```name``` |
| ``cast(x as varchar)`` | ``cast(x as string)`` |
| ``try_strptime(x, '%y%m%d')`` (``%y``: 69-99 → 19xx, else 20xx) | ``try_to_timestamp`` of the century-prefixed text, ``yyyyMMdd`` |
| ``json_valid(x)`` | ``try_parse_json(x) is not null`` |
| ``json_extract_string(x, '$.k')`` | ``get_json_object(x, '$.k')`` |
| ``regexp_full_match(x, 're')`` | ``x rlike '^(re)$'`` |
| ``select * exclude (a, b) from {batch}`` | the batch's other columns, named (``columns``) |
| ``unpivot include nulls (v for c in (columns(*)))`` | the same columns, named |
| ``information_schema.columns`` | the temporary view ``INFORMATION_SCHEMA_VIEW`` (from Spark's catalog) |
"""

from __future__ import annotations

import re

INFORMATION_SCHEMA_VIEW = "ledgerlab_information_schema_columns"

# A single-quoted SQL string (with '' inside) or anything else up to the next quote.
_STRING = re.compile(r"'(?:[^']|'')*'")


def _outside_strings(query: str, rewrite) -> str:
    """Apply ``rewrite`` to the parts of ``query`` that are not single-quoted string literals."""
    out, last = [], 0
    for match in _STRING.finditer(query):
        out.append(rewrite(query[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(rewrite(query[last:]))
    return "".join(out)


def _identifiers(text: str) -> str:
    return re.sub(r'"((?:[^"]|"")*)"', lambda m: "`" + m.group(1).replace('""', '"').replace("`", "``") + "`", text)


def _balanced(query: str, start: int) -> int:
    """Index just past the parenthesis group that opens at ``query[start]`` (quotes respected)."""
    depth, i, quote = 0, start, False
    while i < len(query):
        ch = query[i]
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced parentheses in {query!r}")


def _call_args(query: str, name: str):
    """Yield (start, end, [arguments]) of each call ``name(...)`` (top-level commas split arguments)."""
    for match in re.finditer(rf"\b{name}\s*\(", query, flags=re.IGNORECASE):
        open_at = match.end() - 1
        end = _balanced(query, open_at)
        inner, args, depth, quote, current = query[open_at + 1 : end - 1], [], 0, False, ""
        for ch in inner:
            if ch == "'":
                quote = not quote
            if not quote and ch == "(":
                depth += 1
            elif not quote and ch == ")":
                depth -= 1
            if ch == "," and depth == 0 and not quote:
                args.append(current.strip())
                current = ""
            else:
                current += ch
        args.append(current.strip())
        yield match.start(), end, args


def _replace_calls(query: str, name: str, render) -> str:
    """Replace every call of ``name`` (innermost last) with ``render(args)``; repeats until none is left."""
    while True:
        calls = list(_call_args(query, name))
        if not calls:
            return query
        start, end, args = calls[-1]  # the last one first: earlier offsets stay valid
        query = query[:start] + render(args) + query[end:]


def _yymmdd(args: list[str]) -> str:
    value, fmt = args
    if fmt != "'%y%m%d'":
        raise ValueError(f"try_strptime format {fmt} has no Spark rule")
    # DuckDB's %y puts 69-99 in the 1900s and 00-68 in the 2000s. One difference is left: DuckDB
    # also reads a one-digit day or month from a shorter text ('93011'), which 'yyyyMMdd' rejects
    # (Spark's parser needs fixed widths after a four-digit year). The generator's malformed
    # dates (a letter, 31 February, blank) and the real Berka files have six digits or are broken.
    century = f"case when substr({value}, 1, 2) >= '69' then '19' else '20' end"
    return f"try_to_timestamp(concat({century}, {value}), 'yyyyMMdd')"


def _exclude(query: str, columns: list[str] | None) -> str:
    """``select * exclude (a, b) from {batch}`` and ``columns(*)`` over it: the remaining columns, named."""
    match = re.search(r"select\s+\*\s+exclude\s*\(([^)]*)\)\s+from\s+\{batch\}", query, flags=re.IGNORECASE)
    if not match:
        return query
    if columns is None:
        raise ValueError("select * exclude needs the batch's columns")
    excluded = {c.strip().strip('"`').lower() for c in match.group(1).split(",")}
    kept = ", ".join(f"`{c}`" for c in columns if c.lower() not in excluded)
    query = query[: match.start()] + f"select {kept} from {{batch}}" + query[match.end() :]
    return re.sub(r"columns\(\*\)", kept, query, flags=re.IGNORECASE)


def for_spark(query: str, columns: list[str] | None = None) -> str:
    """``query`` (DuckDB SQL with a ``{batch}`` placeholder) in Spark SQL; ``columns`` are the batch's columns."""
    query = _outside_strings(query, _identifiers)
    query = _outside_strings(query, lambda t: re.sub(r"\bas\s+varchar\b", "as string", t, flags=re.IGNORECASE))
    query = _outside_strings(
        query, lambda t: re.sub(r"\binformation_schema\.columns\b", INFORMATION_SCHEMA_VIEW, t, flags=re.IGNORECASE)
    )
    query = _exclude(query, columns)
    query = _replace_calls(query, "try_strptime", _yymmdd)
    query = _replace_calls(query, "json_valid", lambda a: f"(try_parse_json({a[0]}) is not null)")
    query = _replace_calls(query, "json_extract_string", lambda a: f"get_json_object({a[0]}, {a[1]})")
    query = _replace_calls(query, "regexp_full_match", lambda a: f"({a[0]} rlike concat('^(', {a[1]}, ')$'))")
    return query
