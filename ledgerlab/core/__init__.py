"""The shared base every part of ledgerlab stands on.

Settings (``config``), the warehouse connection and its all-or-nothing writes
(``warehouse``), errors and exit codes (``errors``), the source catalog read
from dbt's sources files (``sources``) and the quality gate that modelling
checks (``quality_gate``). It imports nothing else of the project: the domain
packages (``ml``, ``expectations``, ``ledgerlab.ingest``, ``ledgerlab.generator``,
``ledgerlab.insights``) import it, and only the orchestration
(``ledgerlab.cli``, ``ledgerlab.pipeline``, ``ledgerlab.dbt``) imports them.
"""
