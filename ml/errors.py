"""Errors of the modelling layer. All are ``UserError``: the CLI prints one line."""

from __future__ import annotations

from ledgerlab.core.errors import UserError


class TaskSkipped(UserError):
    """The task cannot run on this data (empty mart, too few rows or positives)."""


class TaskConfigError(UserError):
    """A task YAML is missing or malformed."""


class FeatureError(UserError):
    """A feature function or the feature contract found a column missing or mistyped."""


class ModelIntegrityError(UserError):
    """A saved model is missing, or its file does not match its recorded SHA-256."""


class NoTrainedModel(UserError):
    """Scoring was asked for a task that has not been trained."""
