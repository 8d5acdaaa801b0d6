"""GX Data Docs (expectation-level detail) for recorded gate runs.

The gate runner validates with an ephemeral GX context (nothing written to disk while checking) and
stores each validated table's suite and GX validation result in `ops.gate_validations`. This module
replays those into a GX *file* context beside the warehouse and lets GX render its Data Docs site:

    <warehouse dir>/<warehouse name>_gx/gx/uncommitted/data_docs/local_site/index.html

Every run rendered so far stays in the site's index. Rendering takes well under a second; it is done by
`orderlayer report` (skip with --no-data-docs). The stored results carry only what the checks select
(order keys, amounts, counts), never personal columns.

GX's pages load their CSS/JS from CDNs and build their tables with those scripts, so offline they render
blank. After GX renders, `make_offline` copies the vendored files (data_docs_static/, see its README) into
the site and points every page at them; tags of anything not vendored are dropped: no page fetches a URL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from orderlayer.core.warehouse import OPS, connect, reader_path


def docs_root(db: Path) -> Path:
    return db.resolve().parent / f"{db.stem}_gx"


def docs_index(db: Path) -> Path:
    return docs_root(db) / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def build_data_docs(db: Path, run_ids: list[str]) -> Path | None:
    """Render Data Docs for `run_ids` (their stored validations); returns the site's index, or None
    when none of those runs stored a validation (e.g. a warehouse from before validations were kept)."""
    con = connect(reader_path(db), read_only=True)  # the read snapshot: never waits for a run
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
    if not index.exists():
        return None
    make_offline(index.parent)
    return index


VENDORED = Path(__file__).resolve().parent / "data_docs_static"
#: a tag that loads something from the network: <link href=…>, <script src=…></script>, <img src=…>
_REMOTE_TAG = re.compile(
    r"""<(?P<tag>link|script|img)\b(?P<attrs>[^>]*?)\b(?:href|src)=["'](?P<url>https?://[^"']+)["'](?P<rest>[^>]*)>(?P<end></script>)?""",
    re.IGNORECASE,
)
#: CDN file names whose vendored copy has another name (Font Awesome: a few status icons as text, icons.css)
_RENAMED = {"jquery-3.7.1.min.js": "jquery.min.js", "all.min.css": "icons.css"}
_CORS = re.compile(r"""\s(?:integrity|crossorigin)(?:=["'][^"']*["'])?""", re.IGNORECASE)


def make_offline(site: Path) -> int:
    """Point every page of the Data Docs site at the vendored copies; returns the pages rewritten."""
    vendor = site / "static" / "vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    names = {p.name for p in VENDORED.iterdir() if p.suffix in (".js", ".css")}
    for name in names:
        shutil.copyfile(VENDORED / name, vendor / name)
    rewritten = 0
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        prefix = Path(os.path.relpath(vendor, page.parent)).as_posix()

        def local(match: re.Match[str]) -> str:
            name = match["url"].split("?")[0].rsplit("/", 1)[-1]
            name = _RENAMED.get(name, name)
            if match["tag"].lower() == "img":  # GX's logo: its alt text stands in
                return f"<img{match['attrs']}{match['rest']}>"
            if name not in names:
                return ""
            attr = "href" if match["tag"].lower() == "link" else "src"
            # a CDN's integrity/crossorigin would make Chromium refuse the file:// copy
            attrs, rest = (_CORS.sub("", match[k]) for k in ("attrs", "rest"))
            return f"<{match['tag']}{attrs}{attr}=\"{prefix}/{name}\"{rest}>{match['end'] or ''}"

        new = _REMOTE_TAG.sub(local, text)
        if new != text:
            page.write_text(new, encoding="utf-8")
            rewritten += 1
    return rewritten
