"""Shared runner for ``python -m ml.<module>``: user errors print as one line, skips as a note."""

from __future__ import annotations

import sys
from collections.abc import Callable

from ledgerlab.core.errors import UserError
from ml.errors import TaskSkipped


def run_command(step: Callable[[], list[str]]) -> None:
    try:
        lines = step()
    except TaskSkipped as skipped:
        print(f"skipped: {skipped}")
        return
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    for line in lines:
        print(line)
