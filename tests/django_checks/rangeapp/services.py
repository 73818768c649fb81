"""Project code written for Django on psycopg: it names psycopg's exception classes."""

import psycopg
from django.db import IntegrityError, transaction

from .models import Booking


def book(code):
    """Create a booking; False if the code is taken (told by psycopg's UniqueViolation)."""
    try:
        with transaction.atomic():
            Booking.objects.create(code=code)
    except IntegrityError as exc:
        if isinstance(exc.__cause__, psycopg.errors.UniqueViolation):
            return False
        raise
    return True
