"""Errors that are the user's to fix: the CLI prints them as one line."""


class UserError(Exception):
    """Bad input or a refused step; the message names the file, row and column."""
