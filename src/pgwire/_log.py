"""The ``pgwire`` logger, fetched when something is first said.

:mod:`logging` (with ``traceback``, ``linecache``, ``tokenize``) is imported
by the first message said, not by ``import pgwire``: most processes never
say one.  A leaf, so that every room says things the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging

__all__ = ["logger"]


def logger() -> logging.Logger:
    """The ``pgwire`` logger."""
    import logging

    return logging.getLogger("pgwire")
