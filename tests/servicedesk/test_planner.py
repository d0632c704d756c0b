"""Short walks planned without parallel workers on PostgreSQL, for their block only."""

import pytest
from django.db import connection

from servicedesk.planner import serial_plan


def parallel_workers() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        return cursor.fetchone()[0]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_the_block_runs_serial_and_the_setting_ends_with_it():
    """Inside the test's transaction, as inside any caller's."""
    before = parallel_workers()
    with serial_plan():
        assert parallel_workers() == "0"
    assert parallel_workers() == before


@pytest.mark.django_db
def test_queries_inside_run_and_answer_on_any_database(django_user_model):
    django_user_model.objects.create(email="walk@example.com", full_name="Walk")
    outside = list(django_user_model.objects.values_list("email", flat=True))
    with serial_plan():
        assert list(django_user_model.objects.values_list("email", flat=True)) == outside
    assert "walk@example.com" in outside
