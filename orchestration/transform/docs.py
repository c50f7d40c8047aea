"""The dbt docs site of the warehouse: one static HTML file that opens offline, with every
model, column description and the lineage (``dbt docs generate --static``).

A build writes it into dbt's target folder when the models or the settings changed (a full
build) or it is missing; the publication copies it to ``$RECALL_HOME/docs/index.html`` beside
the BI file it describes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from orchestration.settings import PROJECT_DIR, Settings
from orchestration.transform.command import dbt_profile_args, dbt_target, dbt_vars_arg
from orchestration.transform.project import DBT_EXECUTABLE

STATIC_PAGE = "static_index.html"


class DocsError(RuntimeError):
    """dbt could not generate the docs site."""


def docs_page(settings: Settings) -> Path:
    """The generated page in dbt's target folder of the home."""
    return dbt_target(settings) / STATIC_PAGE


def generate_docs(settings: Settings) -> Path:
    """Run ``dbt docs generate --static`` on the build the environment names (the transform
    step's RECALL_BUILD_DATABASE, and the RUN_ENV variables, so dbt reuses the build's parse);
    the page it wrote."""
    target = dbt_target(settings)
    command = [
        DBT_EXECUTABLE,
        "docs",
        "generate",
        "--static",
        # The build compiled every model already; the page shows their source.
        "--no-compile",
        "--vars",
        dbt_vars_arg(settings),
        *dbt_profile_args(settings),
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(settings.home / "logs"),
    ]
    result = subprocess.run(
        command, env=os.environ.copy(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise DocsError("dbt docs generate failed; its output follows.\n" + result.stdout[-3000:])
    return docs_page(settings)


def publish_docs(settings: Settings) -> Path | None:
    """Copy the generated page to ``$RECALL_HOME/docs/index.html`` (atomically); None when
    no build generated one yet."""
    page = docs_page(settings)
    if not page.exists():
        return None
    site = settings.home / "docs"
    site.mkdir(parents=True, exist_ok=True)
    temporary = site / ".index.html.tmp"
    shutil.copyfile(page, temporary)
    temporary.replace(site / "index.html")
    return site / "index.html"
