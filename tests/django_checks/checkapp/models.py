"""Models using the PostgreSQL field types (no migrations: created by run_syncdb)."""

from django.contrib.postgres.fields import (
    ArrayField,
    DateTimeRangeField,
    IntegerRangeField,
)
from django.contrib.postgres.search import SearchVectorField
from django.db import models


class Item(models.Model):
    name = models.CharField(max_length=50)
    count = models.IntegerField(default=0)
    tags = ArrayField(models.CharField(max_length=20), default=list)
    data = models.JSONField(default=dict)
    span = IntegerRangeField(null=True)
    during = DateTimeRangeField(null=True)
    when = models.DateTimeField(null=True)
    search = SearchVectorField(null=True)

    class Meta:
        app_label = "checkapp"
