"""The logical replication benchmark runs and checks what each reader read."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import replication as bench_replication  # noqa: E402


def test_replication_bench_smoke(logical_server: Any) -> None:
    out = io.StringIO()
    results = bench_replication.run(200, 50, 1, dsn=logical_server.dsn, out=out)
    assert {"pgwire decoded (typed values)", "pgwire raw (decode=False)"} <= set(results)
    assert all(rate > 0 for rate in results.values())
    text = out.getvalue()
    assert "| pgwire decoded (typed values) |" in text and "Cost of decoding" in text
    with logical_server.connect() as conn:
        # Nothing left behind on the server.
        assert conn.execute(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s",
            (bench_replication.SLOT,),
        ).fetchone() == (0,)
