"""``manage.py demo``: migrate, write and query a few notes, show the SQL sent."""

from django.contrib.postgres.search import SearchVector
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from notes.models import Note


class Command(BaseCommand):
    help = "Migrate, then write and query a few notes through pgwire."

    def handle(self, *args, **options):
        call_command("migrate", verbosity=0)
        self.stdout.write(f"connected with {connection.display_name}: {connection.pg_version}")
        with transaction.atomic():
            Note.objects.create(
                title="Wire protocol", body="pgwire speaks it itself", tags=["postgres", "python"]
            )
            Note.objects.create(
                title="It's Django", body="the ORM on pgwire", tags=["django"], extra={"stars": 5}
            )
        tagged = Note.objects.filter(tags__contains=["django"])
        self.stdout.write(f"tagged django: {[n.title for n in tagged]}")
        found = Note.objects.annotate(search=SearchVector("title", "body")).filter(
            search="protocol"
        )
        self.stdout.write(f"full-text 'protocol': {[n.title for n in found]}")
        starred = Note.objects.filter(extra__stars__gte=3).values_list("title", flat=True)
        self.stdout.write(f"JSON stars >= 3: {list(starred)}")
        self.stdout.write(f"last SQL: {connection.queries[-1]['sql']}")
