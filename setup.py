"""Build of the optional compiled accelerator; the project metadata is in pyproject.toml.

The extension is optional: without a C compiler (or with ``PGWIRE_NO_EXT=1``
at build time) the package installs as pure Python and behaves the same.
"""

import os

from setuptools import Extension, setup

ext_modules = []
if os.environ.get("PGWIRE_NO_EXT", "") in ("", "0"):
    ext_modules.append(
        Extension(
            "pgwire.accel._speedups",
            sources=["src/pgwire/accel/_speedups.c"],
            depends=["src/pgwire/accel/_speedups_json.h"],
            optional=True,
        )
    )

setup(ext_modules=ext_modules)
