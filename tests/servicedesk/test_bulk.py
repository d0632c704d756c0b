"""`insert_rows` writes what `bulk_create` would: instances and plain dicts, defaults for what
a dict leaves out, JSON values intact (on PostgreSQL through its own fast path)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from servicedesk.bulk import insert_rows, reserve_ids
from servicedesk.models import AuditEvent, AuditKind, Notification


@pytest.mark.django_db
def test_dicts_and_instances_are_written_with_their_defaults():
    content_type = ContentType.objects.get_for_model(Notification)
    before = timezone.now()

    insert_rows(
        Notification,
        [
            {"content_type_id": content_type.pk, "object_id": 7, "kind": "a",
             "addresses": ["x@example.com"], "user_ids": [1, 2]},
            Notification(content_type=content_type, object_id=8, kind="b"),
        ],
    )  # fmt: skip

    first, second = Notification.objects.order_by("object_id")
    assert (first.kind, first.addresses, first.user_ids) == ("a", ["x@example.com"], [1, 2])
    assert first.created_at >= before and first.attempts == 0 and first.sent_at is None
    assert (second.kind, second.addresses, second.user_ids) == ("b", [], [])


@pytest.mark.django_db
def test_json_values_and_nulls_round_trip():
    content_type = ContentType.objects.get_for_model(Notification)
    insert_rows(
        AuditEvent,
        [{"content_type_id": content_type.pk, "object_id": 1, "kind": AuditKind.ESCALATED,
          "new_value": {"nested": ["ü", 1]}, "old_value": None}],
    )  # fmt: skip

    event = AuditEvent.objects.get()
    assert event.new_value == {"nested": ["ü", 1]}
    assert event.old_value is None and event.public is True


@pytest.mark.django_db
def test_nothing_to_write_is_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        insert_rows(Notification, [])


@pytest.mark.django_db
def test_insert_rows_writes_text_json_nulls_and_reserved_ids_as_given():
    content_type = ContentType.objects.get_for_model(Notification)
    awkward = "tab\there\nnew line \\ backslash \\N not null, ünïcode"
    ids = reserve_ids(AuditEvent, 2)
    written = insert_rows(
        AuditEvent,
        [{"id": ids[0] if ids else None, "content_type_id": content_type.pk, "object_id": 1,
          "kind": AuditKind.ESCALATED, "note": awkward, "new_value": {"k": ["ü", 1, None]},
          "old_value": None, "public": False},
         AuditEvent(id=ids[1] if ids else None, content_type=content_type, object_id=2,
                    kind=AuditKind.ESCALATED)],
        with_ids=ids is not None,
    )  # fmt: skip

    assert written == 2
    first, second = AuditEvent.objects.order_by("object_id")
    assert (first.note, first.new_value, first.old_value) == (awkward, {"k": ["ü", 1, None]}, None)
    assert first.public is False and second.public is True and second.created_at is not None
    if ids:  # PostgreSQL: the ids taken beforehand
        assert [first.pk, second.pk] == ids


@pytest.mark.django_db
def test_text_that_copy_would_misread_is_stored_as_given():
    """PostgreSQL gets the rows in COPY's text format: tabs, line breaks, backslashes and a
    literal \\N in a text or in JSON must come back as they went in, booleans and times too."""
    content_type = ContentType.objects.get_for_model(Notification)
    awkward = 'tab\there\nnew line\r\\N back\\slash "quoted" 波斯'
    moment = timezone.now().replace(microsecond=123456)
    insert_rows(
        AuditEvent,
        [{"content_type_id": content_type.pk, "object_id": 2, "kind": AuditKind.ESCALATED,
          "note": awkward, "new_text": "\\", "new_value": {"text": awkward}, "public": False,
          "created_at": moment}],
    )  # fmt: skip

    event = AuditEvent.objects.get()
    assert event.note == awkward and event.new_text == "\\"
    assert event.new_value == {"text": awkward}
    assert event.public is False and event.created_at == moment
