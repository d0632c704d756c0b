"""Canned responses, macros and tags: what is rendered for whom, what each action writes and
audits, and what a refusal leaves behind."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from accounts.roles import Role
from incidents.models import Incident
from replies import selectors, services
from replies.models import CannedResponse, CannedText, Macro, TaggedRecord
from servicedesk.exceptions import StaleVersion, TransitionNotAllowed
from servicedesk.models import AuditEvent, Comment
from tests.incidents.factories import AgentFactory, EndUserFactory, SupportGroupFactory, incident

pytestmark = pytest.mark.django_db


def events(record, field):
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Incident),
            object_id=record.pk,
            field=field,
        ).order_by("pk")
    )


@pytest.fixture
def desk():
    agent = AgentFactory(full_name="Arash Agent")
    other = AgentFactory(full_name="Olga Other")
    group = SupportGroupFactory(name="Network", members=[agent])
    requester = EndUserFactory(full_name="Sara Requester", language="fa")
    record = incident(actor=agent, support_group=group, requester=requester)
    return agent, other, group, requester, record


def response(name, texts, **owner):
    made = CannedResponse.objects.create(name=name, **owner)
    for language, body in texts.items():
        CannedText.objects.create(response=made, language=language, body=body)
    return made


def test_a_response_is_filled_in_in_the_requesters_language(desk):
    agent, _other, group, _requester, record = desk
    response(
        "Thanks",
        {"en": "Hello {{ requester_name }}, {{ number }} is ours.",
         "fa": "سلام {{ requester_name }}، {{ number }} ({{ title }}) {{ link }}"},
        support_group=group,
    )  # fmt: skip
    [row] = selectors.rendered_responses(user=agent, record=record)
    assert row["language"] == "fa"
    assert row["text"].startswith("سلام Sara Requester، " + record.number)
    assert record.title in row["text"]
    assert f"/portal/incidents/{record.number}/" in row["text"]


def test_without_a_translation_the_sites_language_is_used_and_unknown_names_stay(desk):
    agent, _other, _group, _requester, record = desk
    response("Mine", {"en": "Hi {{ requester_name }} {{ secret_key }} {{ record.requester.password }}"},
             owner=agent)  # fmt: skip
    [row] = selectors.rendered_responses(user=agent, record=record)
    assert row["language"] == "en"
    # Only listed names are filled in; the text is never run as a template.
    assert row["text"] == "Hi Sara Requester {{ secret_key }} {{ record.requester.password }}"


def test_personal_and_group_responses_are_seen_only_by_their_people(desk):
    agent, other, group, _requester, record = desk
    response("Agent's own", {"en": "a"}, owner=agent)
    response("Network's", {"en": "b"}, support_group=group)
    response("Everyone's", {"en": "c"})
    response("Olga's own", {"en": "d"}, owner=other)

    def names(user):
        return sorted(r["name"] for r in selectors.rendered_responses(user=user, record=record))

    assert names(agent) == ["Agent's own", "Everyone's", "Network's"]
    assert names(other) == ["Everyone's", "Olga's own"]


def test_the_reply_box_endpoint_renders_for_staff_and_hides_from_end_users(client, desk):
    agent, _other, group, requester, record = desk
    response("Thanks", {"en": "Dear {{ requester_name }}"}, support_group=group)
    url = reverse("replies:rendered", args=[record.number])
    client.force_login(requester)
    assert client.get(url).status_code == 403
    client.force_login(agent)
    answer = client.get(url)
    assert answer.json()["responses"][0]["text"] == "Dear Sara Requester"
    assert client.get(reverse("replies:rendered", args=["INC9999999"])).status_code == 404


def test_the_record_page_offers_the_picker_tags_and_macros(client, desk):
    agent, _other, group, _requester, record = desk
    Macro.objects.create(name="Wait for supplier", support_group=group, status="pending",
                         pending_reason="supplier")  # fmt: skip
    services.tags_add(record=record, actor=agent, names=["vpn"])
    client.force_login(agent)
    page = client.get(reverse("incidents:detail", args=[record.number])).content.decode()
    assert f'data-canned-url="/replies/records/{record.number}/responses/"' in page
    assert reverse("replies:panel", args=[record.number]) in page  # the card loads afterwards
    card = client.get(reverse("replies:panel", args=[record.number])).content.decode()
    assert "Wait for supplier" in card and 'class="tag-chip"' in card


def test_an_agent_saves_a_response_with_two_languages_shared_with_their_group(desk):
    agent, other, group, _requester, _record = desk
    saved = services.canned_response_save(
        actor=agent, name="Reset", texts={"en": "Reset done", "fa": "انجام شد", "zh-hans": " "},
        support_group=group,
    )  # fmt: skip
    assert saved.owner is None and saved.support_group == group
    assert sorted(saved.texts.values_list("language", flat=True)) == ["en", "fa"]
    with pytest.raises(ValidationError) as refused:
        services.canned_response_save(actor=other, name="X", texts={"en": "x"}, support_group=group)
    assert "support_group" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.canned_response_save(actor=agent, name="", texts={"en": " "})
    assert set(refused.value.message_dict) == {"name", "texts"}
    with pytest.raises(PermissionDenied):
        services.canned_response_save(actor=other, name="Mine now", texts={"en": "x"},
                                      response_id=saved.pk)  # fmt: skip


def test_the_agents_page_lists_and_creates_responses(client, desk):
    agent, _other, group, _requester, _record = desk
    client.force_login(agent)
    answer = client.post(reverse("replies:responses"), {
        "name": "Printer", "support_group": group.pk, "text_en": "Try {{ number }}",
        "text_fa": "", "text_zh-hans": "",
    })  # fmt: skip
    assert answer.status_code == 302
    assert CannedResponse.objects.get(name="Printer").support_group == group
    empty = client.post(reverse("replies:responses"), {"name": "Empty", "support_group": ""})
    assert empty.status_code == 400
    assert "Write the text in at least one language." in empty.content.decode()
    assert not CannedResponse.objects.filter(name="Empty").exists()


def test_tags_are_normalised_added_once_removed_and_audited(desk):
    agent, _other, _group, requester, record = desk
    added = services.tags_add(
        record=record, actor=agent, names=services.parse_tags("VPN  Issue, vpn issue, Printer")
    )
    assert added == ["vpn-issue", "printer"]
    assert services.tags_add(record=record, actor=agent, names=["PRINTER"]) == []
    assert selectors.record_tags(record) == ["printer", "vpn-issue"]
    assert services.tag_remove(record=record, actor=agent, name="Printer")
    assert selectors.record_tags(record) == ["vpn-issue"]
    rows = events(record, "tags")
    assert [(e.new_text, e.old_text, e.public) for e in rows] == [
        ("vpn-issue", "", False),
        ("printer", "", False),
        ("", "printer", False),
    ]
    with pytest.raises(PermissionDenied):
        services.tags_add(record=record, actor=requester, names=["mine"])
    with pytest.raises(ValidationError):
        services.parse_tags("x" * 51)


def test_tags_are_split_on_the_comma_of_each_keyboard():
    """Persian and Chinese keyboards type their own comma: each separates tags too."""
    assert services.parse_tags("vpn، printer， wifi、 VPN, mail") == [
        "vpn",
        "printer",
        "wifi",
        "mail",
    ]


def test_the_queue_filters_by_tag(client, desk):
    agent, _other, group, _requester, record = desk
    untagged = incident(actor=agent, support_group=group, title="Another one")
    services.tags_add(record=record, actor=agent, names=["vpn"])
    client.force_login(agent)
    page = client.get(reverse("incidents:queue"), {"queue": "all", "tag": "VPN"}).content.decode()
    assert record.number in page and untagged.number not in page


def test_the_api_lists_adds_and_removes_tags_and_hides_others_records(client, desk):
    agent, _other, _group, requester, record = desk
    client.force_login(agent)
    made = client.post("/api/v1/tags/", {"record": record.number, "tags": ["Vpn", "mail"]},
                       content_type="application/json")  # fmt: skip
    assert made.status_code == 201 and made.json()["tags"] == ["mail", "vpn"]
    assert client.get("/api/v1/tags/", {"record": record.number}).json()["tags"] == ["mail", "vpn"]
    bad = client.post("/api/v1/tags/", {"record": record.number, "tags": [], "colour": 1},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "colour" in bad.json()["errors"]
    gone = client.post("/api/v1/tags/remove/", {"record": record.number, "tag": "mail"},
                       content_type="application/json")  # fmt: skip
    assert gone.json()["tags"] == ["vpn"]
    stranger = EndUserFactory()
    client.force_login(stranger)
    assert client.get("/api/v1/tags/", {"record": record.number}).status_code == 404


def test_a_macro_assigns_replies_tags_and_sets_pending_each_audited(desk):
    agent, _other, group, requester, record = desk
    reply = response("Waiting", {"en": "We wait for the supplier, {{ requester_name }}.",
                                 "fa": "منتظر تامین‌کننده‌ایم، {{ requester_name }}."})  # fmt: skip
    macro = Macro.objects.create(
        name="Supplier", assign_group=group, assign_agent=agent, response=reply,
        visibility="public", add_tags="supplier, Waiting", status="pending",
        pending_reason="supplier",
    )  # fmt: skip
    with transaction.atomic():
        services.macro_apply(macro=macro, model=Incident, record_id=record.pk, actor=agent,
                             version=record.version)  # fmt: skip
    record.refresh_from_db()
    assert (record.status, record.pending_reason, record.assignee) == ("pending", "supplier", agent)
    comment = Comment.objects.get(object_id=record.pk)
    assert comment.visibility == "public" and "منتظر تامین‌کننده‌ایم، Sara Requester." in comment.body
    assert selectors.record_tags(record) == ["supplier", "waiting"]
    assert [e.new_text for e in events(record, "macro")] == ["Supplier"]
    assert events(record, "assignee") and events(record, "pending_reason")


def test_a_refused_action_leaves_the_record_as_it_was(desk):
    agent, _other, group, _requester, record = desk
    macro = Macro.objects.create(
        name="Bad", add_tags="tried", status="closed"
    )  # new -> closed: refused
    version = record.version
    with pytest.raises(TransitionNotAllowed), transaction.atomic():
        services.macro_apply(macro=macro, model=Incident, record_id=record.pk, actor=agent)
    record.refresh_from_db()
    assert record.version == version and record.status == "new"
    assert not TaggedRecord.objects.exists() and not events(record, "macro")


def test_a_stale_version_is_refused(desk):
    agent, _other, _group, _requester, record = desk
    macro = Macro.objects.create(name="Tag", add_tags="x")
    with pytest.raises(StaleVersion):
        services.macro_apply(macro=macro, model=Incident, record_id=record.pk, actor=agent,
                             version=record.version - 1)  # fmt: skip


def test_the_bulk_bar_applies_a_macro_and_reports_each_refusal(client, desk):
    agent, _other, group, _requester, record = desk
    second = incident(actor=agent, support_group=group, title="Second")
    closed_one = incident(actor=agent, support_group=group, title="Done", assignee=agent)
    from tests.incidents.factories import transition

    transition(closed_one, agent, "cancelled")
    macro = Macro.objects.create(name="Mark VPN", add_tags="vpn", status="in_progress",
                                 assign_group=group, assign_agent=agent)  # fmt: skip
    client.force_login(agent)
    answer = client.post(reverse("replies:bulk", args=["incident"]), {
        "incidents": [record.pk, second.pk, closed_one.pk], "what": "macro", "macro": macro.pk,
        "next": "/incidents/",
    }, follow=True)  # fmt: skip
    text = answer.content.decode()
    assert f"{record.number}, {second.number}" in text
    assert closed_one.number + ":" in text
    assert set(Incident.objects.filter(status="in_progress").values_list("pk", flat=True)) == {
        record.pk,
        second.pk,
    }
    assert selectors.tags_by_record(Incident, [closed_one.pk]) == {}
    tagged = client.post(reverse("replies:bulk", args=["incident"]), {
        "incidents": [closed_one.pk], "what": "tag", "bulk_tags": "Archive", "next": "/incidents/",
    })  # fmt: skip
    assert tagged.status_code == 302
    assert selectors.tags_by_record(Incident, [closed_one.pk]) == {closed_one.pk: ["archive"]}


def test_the_bulk_bar_ignores_records_the_agent_may_not_see(client, desk):
    _agent, _other, _group, requester, record = desk
    client.force_login(requester)
    answer = client.post(reverse("replies:bulk", args=["incident"]),
                         {"incidents": [record.pk], "what": "tag", "bulk_tags": "x"})  # fmt: skip
    assert answer.status_code == 403
    assert not TaggedRecord.objects.exists()


def test_a_macro_for_another_record_type_is_refused(desk):
    agent, _other, _group, _requester, record = desk
    macro = Macro.objects.create(name="Change only", record_type="change", add_tags="x")
    with pytest.raises(ValidationError):
        services.macro_apply(macro=macro, model=Incident, record_id=record.pk, actor=agent)
    assert Role.AGENT


def test_the_exports_carry_the_tags(desk):
    from incidents.records import INCIDENT
    from transfer.exports import export_rows, record_document

    agent, _other, _group, _requester, record = desk
    services.tags_add(record=record, actor=agent, names=["vpn", "home"])
    header, rows = export_rows(record_type=INCIDENT, user=agent, params={})
    assert header[-1] == "Tags"
    assert [row[-1] for row in rows] == ["home, vpn"]
    assert record_document(record=record, record_type=INCIDENT, user=agent)["fields"]["Tags"] == [
        "home",
        "vpn",
    ]


def test_the_admin_offers_record_types_and_refuses_a_status_no_type_has(admin_client):
    answer = admin_client.post(reverse("admin:replies_macro_add"), {
        "name": "Odd", "record_type": "incident", "status": "approved", "visibility": "public",
        "is_active": "on",
    })  # fmt: skip
    assert (
        answer.status_code == 200
        and "No record type here has this status." in answer.content.decode()
    )
    admin_client.post(reverse("admin:replies_macro_add"), {
        "name": "Hold", "record_type": "incident", "status": "pending", "pending_reason": "supplier",
        "visibility": "public", "is_active": "on",
    })  # fmt: skip
    assert Macro.objects.get().name == "Hold"


def test_the_due_time_is_the_running_clocks_in_the_requesters_time_zone(desk):
    from django.utils import formats, timezone, translation

    from sla.selectors import open_timers_of

    agent, _other, _group, requester, record = desk
    requester.time_zone, requester.language = "Asia/Tehran", "en"
    requester.save(update_fields=["time_zone", "language"])
    record.refresh_from_db()
    due = min(t.due_at for t in open_timers_of(record) if t.state == "running")
    response("Due", {"en": "Expect an answer by {{ due }}."}, owner=agent)
    [row] = selectors.rendered_responses(user=agent, record=record)
    import zoneinfo

    with translation.override("en"):
        shown = formats.date_format(
            timezone.localtime(due, zoneinfo.ZoneInfo("Asia/Tehran")), "DATETIME_FORMAT"
        )
    assert row["text"] == f"Expect an answer by {shown}."


def test_a_watcher_gets_the_reply_a_macro_sends(desk):
    from django.core import mail

    from inbound.services import watcher_add
    from servicedesk.notifications import deliver_pending

    agent, _other, _group, _requester, record = desk
    watcher_add(record=record, actor=agent, address="boss@partner.example")
    reply = response("Ack", {"en": "We are on it, {{ requester_name }}."})
    macro = Macro.objects.create(name="Ack", response=reply, visibility="public")
    deliver_pending()
    mail.outbox.clear()
    with transaction.atomic():
        services.macro_apply(macro=macro, model=Incident, record_id=record.pk, actor=agent)
    deliver_pending()
    [message] = [m for m in mail.outbox if "boss@partner.example" in m.to]
    assert "We are on it, Sara Requester." in message.body
