"""A model whose migration was written by Django on psycopg (a range default)."""

from django.contrib.postgres.fields import IntegerRangeField
from django.db import models
from django.db.backends.postgresql.psycopg_any import NumericRange


class Booking(models.Model):
    code = models.CharField(max_length=20, unique=True)
    seats = IntegerRangeField(default=NumericRange(1, 10))

    class Meta:
        app_label = "rangeapp"
