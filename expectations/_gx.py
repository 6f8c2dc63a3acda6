"""The one place that imports Great Expectations, with its analytics off.

GX reads ``GX_ANALYTICS_ENABLED`` when it is imported: the project runs on a
closed network, so it is set here, before the import, for every module of
``expectations`` that needs GX (``from expectations._gx import gx``).
"""

from __future__ import annotations

import os

os.environ["GX_ANALYTICS_ENABLED"] = "false"

import great_expectations as gx  # noqa: E402
from great_expectations import expectations as gxe  # noqa: E402

__all__ = ["gx", "gxe"]
