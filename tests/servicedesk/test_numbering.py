"""Record numbers: prefix + seven digits, unique and increasing, also under concurrent writers."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from servicedesk.numbering import (
    NUMBER_DIGITS,
    next_record_number,
    reserve_record_numbers,
    sequence_name,
)
from servicedesk.services import record_create
from tests.factories import UserFactory
from tests.kernel.models import Ticket

from .helpers import NUMBER_PATTERN, number_value

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises every writer, so there is no concurrency to test; "
    "run with DATABASE_URL=postgres://... to exercise the PostgreSQL sequence",
)


def test_sequence_names_are_per_prefix_and_lower_case():
    assert sequence_name("INC") == "servicedesk_number_inc"
    assert sequence_name("TKT") != sequence_name("INC")


def test_a_number_is_the_prefix_and_seven_zero_padded_digits(ticket):
    assert NUMBER_DIGITS == 7
    assert NUMBER_PATTERN.match(ticket.number)
    assert len(ticket.number) == len("TKT") + 7
    assert ticket.number == f"TKT{number_value(ticket.number):07d}"
    assert str(ticket) == f"{ticket.number} Printer on floor 3 is jammed"


def test_a_block_of_numbers_is_reserved_and_the_next_record_continues_after_it(make_ticket):
    before = number_value(make_ticket(title="Before").number)

    block = reserve_record_numbers("TKT", 4)
    after = number_value(make_ticket(title="After").number)

    assert [number_value(number) for number in block] == [before + 1, before + 2, before + 3,
                                                         before + 4]  # fmt: skip
    assert all(NUMBER_PATTERN.match(number) for number in block)
    assert after == before + 5
    assert reserve_record_numbers("TKT", 0) == []


def test_numbers_are_unique_and_increase_by_one(make_ticket):
    numbers = [make_ticket(title=f"Ticket {n}").number for n in range(5)]
    values = [number_value(number) for number in numbers]
    assert values == list(range(values[0], values[0] + 5))
    assert len(set(numbers)) == 5
    assert sorted(Ticket.objects.values_list("number", flat=True)) == numbers


@pytest.mark.django_db
def test_next_record_number_draws_consecutive_numbers():
    first = next_record_number("TKT")
    second = next_record_number("TKT")
    assert number_value(second) == number_value(first) + 1


def test_invalid_input_does_not_use_up_a_number(make_ticket):
    before = make_ticket().number
    with pytest.raises(ValidationError) as refused:
        make_ticket(title="")
    assert "title" in refused.value.message_dict
    after = make_ticket().number
    assert number_value(after) == number_value(before) + 1


@pytest.mark.django_db
def test_an_unknown_prefix_is_refused_with_a_hint_at_the_missing_migration():
    with transaction.atomic(), pytest.raises(LookupError, match="number_sequence"):
        next_record_number("NOPE")
    # The refusal leaves the connection usable (no aborted transaction on PostgreSQL).
    assert number_value(next_record_number("TKT")) > 0


@pytest.mark.django_db(transaction=True)
def test_numbering_still_works_after_the_database_is_flushed():
    """`manage.py flush` (and every transactional test) empties all tables; numbers go on."""
    call_command("flush", interactive=False, verbosity=0)
    requester = UserFactory()
    with transaction.atomic():
        record = record_create(
            model=Ticket, actor=requester, fields={"title": "After flush", "requester": requester}
        )
    assert NUMBER_PATTERN.match(record.number)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_get_the_same_number():
    threads_count, per_thread = 8, 5
    requester = UserFactory()
    barrier = threading.Barrier(threads_count)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer(index: int):
        try:
            barrier.wait(timeout=30)
            for n in range(per_thread):
                with transaction.atomic():
                    record = record_create(
                        model=Ticket,
                        actor=requester,
                        fields={"title": f"Writer {index} ticket {n}", "requester": requester},
                    )
                with lock:
                    numbers.append(record.number)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    assert errors == []
    assert len(numbers) == threads_count * per_thread
    assert len(set(numbers)) == len(numbers), "a number was handed out twice"
    assert all(NUMBER_PATTERN.match(number) for number in numbers)
    stored = list(Ticket.objects.values_list("number", flat=True))
    assert sorted(stored) == sorted(numbers)
    # Each writer saw its own numbers increase.
    for index in range(threads_count):
        mine = [
            number_value(number)
            for number in Ticket.objects.filter(title__startswith=f"Writer {index} ")
            .order_by("pk")
            .values_list("number", flat=True)
        ]
        assert mine == sorted(mine)


def test_a_rolled_back_record_never_leads_to_a_duplicate_number(make_ticket):
    """PostgreSQL sequences are not transactional (a rollback leaves a gap); the SQLite counter
    row rolls back with the record. Either way the next number is new."""
    first = make_ticket().number
    with pytest.raises(DatabaseError), transaction.atomic():
        make_ticket(title="Rolled back")
        raise DatabaseError("simulated failure after the number was drawn")
    assert not Ticket.objects.filter(title="Rolled back").exists()
    after = make_ticket().number
    gap = 2 if connection.vendor == "postgresql" else 1
    assert number_value(after) == number_value(first) + gap
    assert Ticket.objects.filter(number=after).count() == 1
