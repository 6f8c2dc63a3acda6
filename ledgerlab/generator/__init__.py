"""Synthetic Czech-bank ("Berka" PKDD'99 format) data generator.

    from ledgerlab.generator import generate, GenerationSummary, DefectRates
    summary = generate(out_dir, accounts=4500, seed=42)
    shifted = generate(out_dir, cohort_shift=CohortShift("1996-01-01", wealth=1.0))  # a later cohort differs

See docs/GENERATOR.md for the generative model, defects, anomalies and truth files.
"""

from .accounts import CohortShift
from .defects import ALL_KINDS as DEFECT_KINDS
from .defects import DefectRates
from .pipeline import GenerationSummary, generate

__all__ = ["DEFECT_KINDS", "CohortShift", "DefectRates", "GenerationSummary", "generate"]
