"""A model needing the hstore extension (installed only by the hstore check)."""

from django.contrib.postgres.fields import HStoreField
from django.db import models


class Attrs(models.Model):
    attrs = HStoreField(default=dict)

    class Meta:
        app_label = "hstoreapp"
