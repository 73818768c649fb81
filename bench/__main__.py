"""``python -m bench``: run the benchmark suite (see :mod:`bench.runner`).

``python -m bench --replication [options]`` runs the logical replication
benchmark instead (see :mod:`bench.replication`).
"""

import sys

if "--replication" in sys.argv[1:]:
    from bench.replication import main as replication_main

    raise SystemExit(replication_main([a for a in sys.argv[1:] if a != "--replication"]))

from bench.runner import main

raise SystemExit(main())
