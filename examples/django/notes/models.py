"""One model using a few PostgreSQL features."""

from django.contrib.postgres.fields import ArrayField
from django.db import models


class Note(models.Model):
    """A note with tags and some JSON."""

    title = models.CharField(max_length=200)
    body = models.TextField()
    tags = ArrayField(models.CharField(max_length=30), default=list)
    extra = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title
