"""ledgerlab's data-quality layer: Great Expectations suites as code, the runner, the gate.

``expectations.runner.validate`` runs every suite; ``ledgerlab.core.quality_gate`` reads
the recorded history. See docs/DATA_QUALITY.md.
"""
