"""pytest plugin: records every test's outcome and failure text as JSON.

The file is named by the PSYCOPG_SUITE_REPORT environment variable; the
classification is done by ``tools/psycopg_suite.py`` afterwards.
"""

from __future__ import annotations

import json
import os
from typing import Any

_results: dict[str, dict[str, Any]] = {}


def pytest_runtest_logreport(report: Any) -> None:
    entry = _results.setdefault(report.nodeid, {"outcome": "passed", "text": ""})
    if report.failed:
        entry["outcome"] = "failed" if report.when == "call" else "error"
        entry["text"] += report.longreprtext[-6000:]
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"
        entry["text"] = str(report.longrepr)[-300:]


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _results[report.nodeid or "<collection>"] = {
            "outcome": "collection-error",
            "text": report.longreprtext[-6000:],
        }


def pytest_sessionfinish(session: Any) -> None:
    path = os.environ.get("PSYCOPG_SUITE_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_results, f)
