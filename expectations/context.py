"""GX contexts of a run: file-backed stores in build/gx, docs in reports/quality.

Nothing of GX's state outlives a run: ``build/gx`` is emptied first and the
context is built from code (no ``great_expectations.yml``), with analytics
off and progress bars off. The one Data Docs site writes under
``reports/quality/gx``; ``reports/quality/index.html`` is the project's own
overview page (see :mod:`expectations.report`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from expectations._gx import gx

SITE_NAME = "ledgerlab_quality"
SITE_SUBDIR = "gx"


def clear(gx_dir: Path, docs_dir: Path) -> None:
    """Empty the stores and the Data Docs site: nothing of an earlier run is kept."""
    for folder in (gx_dir, docs_dir / SITE_SUBDIR):
        if folder.exists():
            shutil.rmtree(folder)
    gx_dir.mkdir(parents=True)


def context_on(gx_dir: Path, docs_dir: Path):
    """An ephemeral context on the stores in ``gx_dir`` as they are.

    Several processes may share the stores of one run (each writes its own
    suites' keys); the Data Docs site is then built from all of them.
    """
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        FilesystemStoreBackendDefaults,
        ProgressBarsConfig,
    )

    site_dir = docs_dir / SITE_SUBDIR
    project_config = DataContextConfig(
        store_backend_defaults=FilesystemStoreBackendDefaults(root_directory=str(gx_dir)),
        data_docs_sites={
            SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(site_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=project_config)
