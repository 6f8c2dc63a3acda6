"""Engines other than the default DuckDB warehouse (see docs/SCALE_OUT.md)."""
