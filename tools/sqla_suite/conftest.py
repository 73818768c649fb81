"""SQLAlchemy's dialect compliance suite, run the way third-party dialects run it.

The dialects are registered here so that the suite runs from a checkout
whether or not pgwire's entry points are installed; ``run.py`` starts the
server and says which URL to test (``--dburi``).
"""

import pytest
import register_dialects  # noqa: F401

pytest.register_assert_rewrite("sqlalchemy.testing.assertions")

from sqlalchemy.testing.plugin.pytestplugin import *  # noqa: E402,F403
