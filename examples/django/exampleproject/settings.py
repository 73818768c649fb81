"""Settings of the example project: Django on PostgreSQL through pgwire."""

import os

SECRET_KEY = "example-only-not-secret"
DEBUG = True  # so that connection.queries records the SQL
USE_TZ = True
TIME_ZONE = "Europe/Paris"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    # Before django.contrib.postgres, whose modules must see pgwire.
    "pgwire.django",
    "django.contrib.postgres",
    "notes",
]

DATABASES = {
    "default": {
        "ENGINE": "pgwire.django",
        # HOST, PORT, USER, PASSWORD: from PGHOST, PGPORT... (manage.py sets
        # them for its throwaway server).
        "NAME": os.environ.get("PGDATABASE", "postgres"),
        "OPTIONS": {
            # False (the default): values are quoted into the SQL on the
            # client, and connection.queries shows them.  True: sent apart.
            "server_side_binding": False,
            "connect_timeout": 10,
        },
    }
}
