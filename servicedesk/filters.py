"""Filters shared by the apps' FilterSets."""

import django_filters
from django import forms

MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number within a 64-bit id (django-filter's NumberFilter takes any
    decimal, and 1e308 handed to the database is a server error, not an empty result)."""

    field_class = IdField
