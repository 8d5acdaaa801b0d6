"""GX Data Docs (expectation-level detail) for recorded gate runs.

The gate runner validates with an ephemeral GX context (nothing written to disk while checking) and
stores each validated table's suite and GX validation result in `ops.gate_validations`. This module
replays those into a GX *file* context beside the warehouse and lets GX render its Data Docs site:

    <warehouse dir>/<warehouse name>_gx/gx/uncommitted/data_docs/local_site/index.html

Every run rendered so far stays in the site's index. Rendering takes well under a second; it is done by
`orderlayer report` (skip with --no-data-docs). The stored results carry only what the checks select
(order keys, amounts, counts), never personal columns. GX's own pages load their CSS/JS from a CDN.
"""

from __future__ import annotations

import json
from pathlib import Path

from orderlayer.core.warehouse import OPS, connect


def docs_root(db: Path) -> Path:
    return db.resolve().parent / f"{db.stem}_gx"


def docs_index(db: Path) -> Path:
    return docs_root(db) / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def build_data_docs(db: Path, run_ids: list[str]) -> Path | None:
    """Render Data Docs for `run_ids` (their stored validations); returns the site's index, or None
    when none of those runs stored a validation (e.g. a warehouse from before validations were kept)."""
    con = connect(db, read_only=True)
    try:
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = 'gate_validations'",
            [OPS],
        ).fetchone()[0]
        rows = (
            con.execute(
                f"SELECT run_id, checked_at, table_name, suite, result FROM {OPS}.gate_validations "
                f"WHERE run_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY checked_at, run_id, table_name",
                [run_ids],
            ).fetchall()
            if exists
            else []
        )
    finally:
        con.close()
    if not rows:
        return None
    # Imported here: GX takes seconds to import, and the report without Data Docs does not need it.
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.core.expectation_validation_result import expectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    context = gx.get_context(mode="file", project_root_dir=str(docs_root(db)))
    for run_id, checked_at, table, suite_json, result_json in rows:
        suite = ExpectationSuite(**json.loads(suite_json))
        context.suites.add_or_update(suite)
        key = ValidationResultIdentifier(
            ExpectationSuiteIdentifier(name=suite.name), RunIdentifier(run_name=run_id, run_time=checked_at), table
        )
        context.validation_results_store.set(key, expectationSuiteValidationResultSchema.load(json.loads(result_json)))
    context.build_data_docs()
    index = docs_index(db)
    return index if index.exists() else None
