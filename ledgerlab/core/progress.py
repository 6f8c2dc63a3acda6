"""How a long step reports how far it is: a callable ``(done, total)``.

Domain functions (generation, ingest, dbt, validation, training) take an
optional ``on_progress`` of this type and call it as units of work finish;
the orchestration turns the calls into a progress bar with counts. ``total``
may change once it is known (dbt says how many nodes it will run with its
first node).
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]


def ignore(done: int, total: int) -> None:
    """The default: nobody is watching."""
