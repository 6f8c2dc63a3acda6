"""Errors that are the user's to fix: the CLI prints them as one line.

Each kind carries the exit code the CLI ends with (README, "Exit codes"):

- 0  done;
- 1  the step ran and the data failed its checks (dbt tests, blocking
     Great Expectations failures): the data is the problem, not the command;
- 2  the command could not run: bad arguments, a bad or missing input file,
     a step that must run first;
- 3  the warehouse is busy: another ledgerlab process is writing it;
- 130 interrupted (Ctrl-C).

A traceback means a bug in ledgerlab, never a user error.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_DATA_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_BUSY = 3
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """Bad input or a refused step; the message names the file, row and column."""

    exit_code = EXIT_USER_ERROR


class DataCheckFailed(UserError):
    """The step ran, and the data failed checks that block it (dbt tests, the quality gate)."""

    exit_code = EXIT_DATA_FAILED


class MissingStep(UserError, FileNotFoundError):
    """An input an earlier step writes is absent (no warehouse, no model): run that step first."""


class WarehouseBusy(UserError):
    """Another ledgerlab process is writing the warehouse."""

    exit_code = EXIT_BUSY


class Interrupted(UserError):
    """A writing step was stopped (Ctrl-C, SIGTERM) and cleaned up: nothing was published.

    Raised in place of the KeyboardInterrupt, so that the CLI ends with one
    line and exit 130 (Typer would turn a KeyboardInterrupt into a silent exit).
    """

    exit_code = EXIT_INTERRUPTED
