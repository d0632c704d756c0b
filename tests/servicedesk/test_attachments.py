"""Attachments: upload limits (size, type by name and by content; refused files are never
stored), stored names, and the download view with the timeline's visibility."""

import io
import mimetypes
import re
import zipfile

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from PIL import Image

from accounts.roles import Role
from catalogue import services as catalogue_services
from incidents import services as incident_services
from servicedesk.attachments import (
    accepted_extensions,
    attachment_check,
    check_serve_via,
    served_content_type,
)
from servicedesk.models import Attachment, BaseRecord, Visibility, attachment_path
from servicedesk.services import attachment_add, comment_add
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup
from tests.incidents.factories import incident

from .helpers import PDF_BYTES, PNG_BYTES, stored_files, upload


def refusal(uploaded) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        attachment_check(uploaded)
    return refused.value


def test_a_file_over_the_limit_is_refused_with_sizes_people_understand(settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    error = refusal(upload("big.pdf", PDF_BYTES + b"x" * 2048))
    assert error.code == "too_large"
    [message] = error.messages
    assert message.startswith("“big.pdf” is 2.")
    assert message.endswith("; files may be at most 1.0\xa0KB.")


def test_a_file_exactly_at_the_limit_is_accepted(settings):
    settings.ATTACHMENT_MAX_BYTES = len(PNG_BYTES)
    assert attachment_check(upload("pixel.png", PNG_BYTES)) == "image/png"


def test_the_default_limit_is_ten_megabytes(settings):
    assert settings.ATTACHMENT_MAX_BYTES == 10 * 1024 * 1024


def test_an_empty_file_is_refused():
    error = refusal(upload("empty.txt", b""))
    assert error.code == "empty"
    assert error.messages == ["“empty.txt” is empty."]


@pytest.mark.parametrize(
    "name", ["setup.exe", "page.html", "drawing.svg", "app.js", "run.sh", "README", "macro.docm"]
)
def test_types_outside_the_allowed_list_are_refused_naming_what_is_accepted(name):
    error = refusal(upload(name, b"harmless looking content"))
    assert error.code == "forbidden_type"
    [message] = error.messages
    assert message.startswith(f"“{name}” is not a file type we accept. Accepted: ")
    assert ".pdf" in message
    assert ".png" in message


@pytest.mark.parametrize("name", ["cleanup.bat", "deploy.KSH", "payload.ps1", "tool.pl"])
def test_scripts_without_a_signature_are_refused_by_extension(monkeypatch, name):
    # Without /etc/mime.types Python calls .bat and .ksh "text/plain", an allowed type.
    monkeypatch.setattr(mimetypes, "guess_type", lambda *args, **kwargs: ("text/plain", None))
    error = refusal(upload(name, b"del /q C:\\*.*\r\n"))
    assert error.code == "forbidden_type"


def test_the_accepted_list_never_advertises_a_script_extension():
    accepted = accepted_extensions().split(", ")
    assert {".pdf", ".png", ".txt", ".csv", ".docx"} <= set(accepted)
    assert not {".bat", ".ksh", ".pl", ".exe", ".sh"} & set(accepted)
    assert accepted == sorted(accepted)


def test_the_browser_supplied_content_type_is_not_trusted():
    error = refusal(upload("page.html", b"<html></html>", content_type="application/pdf"))
    assert error.code == "forbidden_type"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"),  # Windows PE
        ("photo.png", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8),  # Linux ELF
        ("notes.txt", b"#!/bin/sh\nrm -rf ~\n"),  # script
        ("report.pdf", b"\xca\xfe\xba\xbe\x00\x00\x00\x02"),  # Java class / Mach-O fat
        ("data.csv", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01"),  # Mach-O 64-bit
    ],
)
def test_executables_are_refused_whatever_name_they_carry(name, content):
    error = refusal(upload(name, content, content_type="application/pdf"))
    assert error.code == "forbidden_type"
    assert f"“{name}” is not a file type we accept" in error.messages[0]


@pytest.mark.parametrize(
    ("name", "content", "mime_type"),
    [
        ("invoice.pdf", PDF_BYTES, "application/pdf"),
        ("screen.PNG", PNG_BYTES, "image/png"),
        ("log.txt", b"Note: MZ is only a signature at the very start.\n", "text/plain"),
        ("assets.csv", b"host,ip\nsrv-01,10.0.0.1\n", "text/csv"),
    ],
)
def test_allowed_files_are_accepted_with_their_type_and_rewound(name, content, mime_type):
    uploaded = upload(name, content)
    assert attachment_check(uploaded) == mime_type
    assert uploaded.read() == content  # the check peeked at the head and rewound


def test_accepted_extensions_lists_the_allowed_types_sorted(settings):
    settings.ATTACHMENT_ALLOWED_TYPES = ["application/pdf", "image/png"]
    assert accepted_extensions() == ".pdf, .png"
    error = refusal(upload("photo.jpg", b"\xff\xd8\xff\xe0"))
    assert error.messages == ["“photo.jpg” is not a file type we accept. Accepted: .pdf, .png."]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("big.pdf", PDF_BYTES * 100),
        ("tool.exe", b"MZ\x90\x00"),
        ("invoice.pdf", b"MZ\x90\x00 disguised"),
        ("empty.png", b""),
    ],
)
def test_nothing_is_stored_when_a_file_is_refused(
    settings, media_root, ticket, end_user, name, content
):
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as refused:
        attachment_add(record=ticket, uploaded_by=end_user, file=upload(name, content))
    assert list(refused.value.message_dict) == ["file"]
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("name", "content", "mime_type"),
    [("invoice.pdf", PDF_BYTES, "application/pdf"), ("screen.png", PNG_BYTES, "image/png")],
)
def test_a_valid_file_is_stored_intact(media_root, ticket, end_user, name, content, mime_type):
    attachment = attachment_add(record=ticket, uploaded_by=end_user, file=upload(name, content))
    assert attachment.mime_type == mime_type
    assert attachment.filename == name
    [path] = stored_files(media_root)
    assert path.read_bytes() == content


# --- Types by content ---------------------------------------------------------------------------

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


def jpeg_bytes() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(picture, format="JPEG")
    return picture.getvalue()


def docx_bytes() -> bytes:
    document = io.BytesIO()
    with zipfile.ZipFile(document, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return document.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("x.png", SVG),
        ("x.png", b"\xef\xbb\xbf \n\t" + SVG),  # byte-order mark and white space first
        ("drawing.jpg", b'<?xml version="1.0"?>\n<svg><script>alert(1)</script></svg>'),
        ("diagram.gif", b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "">\n<svg/>'),
        ("notes.txt", b"<!DOCTYPE html><html><body onload=alert(1)></body></html>"),
        ("notes.txt", b"<!-- a comment first --><svg onload=alert(1)/>"),
        ("report.csv", b"<script>fetch('/api/v1/incidents/')</script>"),
        ("data.json", b"<iframe src=//evil.example>"),
        ("page.txt", "<html><body>UTF-16</body></html>".encode("utf-16")),
        ("invoice.pdf", b"<HTML><BODY>%PDF-1.7 later in the file</BODY></HTML>"),
    ],
)
def test_web_content_that_can_run_scripts_is_refused_whatever_its_name(
    media_root, ticket, end_user, name, content
):
    error = refusal(upload(name, content, content_type="image/png"))
    assert error.code == "active_content"
    assert error.messages == [
        f"“{name}” holds web content (HTML, XML or SVG) that could run scripts; such files are "
        "not accepted."
    ]
    with pytest.raises(ValidationError) as refused:
        attachment_add(record=ticket, uploaded_by=end_user, file=upload(name, content))
    assert list(refused.value.message_dict) == ["file"]
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    "content",
    [
        b"<abc> is not a tag browsers know; a < b and b > c\n",
        b"Reply below.\n<html> further down is not what a browser sniffs\n",
        b"<note>plain XML-looking text without a prologue</note>\n",
    ],
)
def test_text_that_merely_contains_angle_brackets_is_accepted(content):
    assert attachment_check(upload("notes.txt", content)) == "text/plain"


@pytest.mark.parametrize(
    ("name", "content", "extension"),
    [
        ("photo.png", b"just some text, not a picture", "PNG"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 50, "PNG"),  # the signature, then garbage
        ("photo.jpg", PNG_BYTES[:30], "JPG"),  # a truncated PNG under a JPEG name
        ("invoice.pdf", b"Dear customer, please find the invoice", "PDF"),
        ("contract.docx", b"plain text pretending to be Word", "DOCX"),
    ],
)
def test_images_documents_and_archives_must_hold_what_their_name_says(name, content, extension):
    error = refusal(upload(name, content))
    assert error.code == "content_mismatch"
    assert error.messages == [f"The content of “{name}” is not a {extension} file."]


@pytest.mark.parametrize(
    ("name", "content", "mime_type"),
    [
        ("photo.png", jpeg_bytes(), "image/jpeg"),  # phones name JPEGs .png: the bytes decide
        ("photo.jpeg", jpeg_bytes(), "image/jpeg"),
        ("screenshot.txt", PNG_BYTES, "image/png"),
        ("contract.docx", docx_bytes(), DOCX),
        ("bundle.zip", docx_bytes(), "application/zip"),
        ("backup.zip", PDF_BYTES, "application/pdf"),
    ],
)
def test_the_type_stored_is_the_one_the_content_shows(name, content, mime_type):
    assert attachment_check(upload(name, content)) == mime_type


def test_an_image_of_a_type_nobody_allowed_is_refused_under_an_allowed_name(settings):
    settings.ATTACHMENT_ALLOWED_TYPES = ["image/png", "text/plain"]
    error = refusal(upload("photo.png", jpeg_bytes()))
    assert error.code == "content_mismatch"


def test_an_administrator_may_allow_active_content_under_its_own_names(settings):
    settings.ATTACHMENT_ALLOW_ACTIVE_CONTENT = True
    assert attachment_check(upload("drawing.svg", SVG)) == "image/svg+xml"
    assert attachment_check(upload("page.html", b"<!doctype html><p>Hi")) == "text/html"
    assert ".svg" in accepted_extensions().split(", ")
    # still not under an image's name: an SVG called .png is not a PNG
    error = refusal(upload("x.png", SVG))
    assert error.code == "content_mismatch"
    assert error.messages == ["The content of “x.png” is not a PNG file."]


@pytest.mark.parametrize(
    ("stored", "served"),
    [
        ("image/svg+xml", "application/octet-stream"),
        ("text/html", "application/octet-stream"),
        ("application/xhtml+xml", "application/octet-stream"),
        ("text/xml", "application/octet-stream"),
        ("application/xml", "application/octet-stream"),
        ("text/javascript", "application/octet-stream"),
        ("", "application/octet-stream"),
        ("image/png", "image/png"),
        ("application/pdf", "application/pdf"),
        (DOCX, DOCX),  # "openxmlformats" is not XML a browser renders
        ("text/plain", "text/plain"),
    ],
)
def test_files_a_browser_could_run_are_served_as_opaque_bytes(stored, served):
    assert served_content_type(stored) == served


# --- Stored names ---------------------------------------------------------------------------------


def test_stored_names_are_random_and_keep_only_the_extension(media_root, ticket, end_user):
    first = attachment_add(
        record=ticket, uploaded_by=end_user, file=upload("My Report.PDF", PDF_BYTES)
    )
    second = attachment_add(
        record=ticket, uploaded_by=end_user, file=upload("My Report.PDF", PDF_BYTES)
    )
    assert first.filename == second.filename == "My Report.PDF"
    names = [first.file.name, second.file.name]
    for name in names:
        assert re.fullmatch(r"attachments/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", name), name
    assert names[0] != names[1]
    assert {path.name for path in stored_files(media_root)} == {n.rsplit("/", 1)[1] for n in names}


@pytest.mark.parametrize("name", ["notes.tx…t", "archive.verylongextension", "README", "x.a b"])
def test_an_odd_extension_is_left_out_of_the_stored_name(name):
    assert re.fullmatch(r"attachments/\d{4}/\d{2}/[0-9a-f]{32}", attachment_path(None, name))


# --- Downloads ------------------------------------------------------------------------------------


def download(client, attachment, method="get"):
    return getattr(client, method)(f"/attachments/{attachment.pk}/download/")


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_requester_downloads_a_public_file_with_safe_headers(
    client, media_root, ticket, end_user
):
    attachment = attachment_add(
        record=ticket, uploaded_by=end_user, file=upload("Quarterly report.pdf", PDF_BYTES)
    )
    assert attachment.get_absolute_url() == f"/attachments/{attachment.pk}/download/"
    client.force_login(end_user)

    response = download(client, attachment)

    assert response.status_code == 200
    assert body(response) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Quarterly report.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert {"private", "no-store"} <= {
        part.strip() for part in response["Cache-Control"].split(",")
    }


def test_another_end_user_gets_a_404(client, media_root, ticket, end_user, make_user):
    attachment = attachment_add(
        record=ticket, uploaded_by=end_user, file=upload("a.pdf", PDF_BYTES)
    )
    client.force_login(make_user(full_name="Omid Other"))
    assert download(client, attachment).status_code == 404


def test_internal_files_are_404_for_end_users_and_served_to_agents(
    client, media_root, ticket, end_user, agent
):
    loose = attachment_add(
        record=ticket,
        uploaded_by=agent,
        file=upload("vendor-quote.txt", b"EUR 400"),
        visibility=Visibility.INTERNAL,
    )
    note = comment_add(
        record=ticket,
        author=agent,
        body="Logs from the print server",
        visibility=Visibility.INTERNAL,
        files=[upload("spool.log.txt", b"job 42 stuck")],
    )
    [on_note] = note.attachments.all()

    client.force_login(end_user)
    assert download(client, loose).status_code == 404
    assert download(client, on_note).status_code == 404
    client.force_login(agent)
    assert body(download(client, loose)) == b"EUR 400"
    assert body(download(client, on_note)) == b"job 42 stuck"


def test_anonymous_visitors_are_sent_to_sign_in(client, media_root, ticket, end_user):
    attachment = attachment_add(
        record=ticket, uploaded_by=end_user, file=upload("a.pdf", PDF_BYTES)
    )
    response = download(client, attachment)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/attachments/{attachment.pk}/download/"


@pytest.mark.parametrize("pk", ["0", "424242", "99999999999999999999999"])
def test_an_unknown_id_is_a_404(client, agent, pk):
    client.force_login(agent)
    assert client.get(f"/attachments/{pk}/download/").status_code == 404


def test_only_get_and_head_are_answered(client, media_root, ticket, end_user):
    attachment = attachment_add(
        record=ticket, uploaded_by=end_user, file=upload("a.pdf", PDF_BYTES)
    )
    client.force_login(end_user)
    assert download(client, attachment, "head").status_code == 200
    assert download(client, attachment, "post").status_code == 405


def test_a_name_outside_ascii_is_sent_encoded(client, media_root, ticket, end_user):
    attachment = attachment_add(
        record=ticket, uploaded_by=end_user, file=upload('گزارش "مهم".pdf', PDF_BYTES)
    )
    client.force_login(end_user)
    response = download(client, attachment)
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%DA%AF%D8%B2%D8%A7%D8%B1%D8%B4%20%22%D9%85%D9%87%D9%85%22.pdf"
    )


def legacy_attachment(media_root, ticket, uploaded_by, name="attachments/2024/05/old report.pdf"):
    """A row and a file as stored before names got a random part (the original name)."""
    path = media_root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(PDF_BYTES)
    return Attachment.objects.create(
        content_type=ContentType.objects.get_for_model(ticket),
        object_id=ticket.pk,
        file=name,
        filename="old report.pdf",
        mime_type="application/pdf",
        size=len(PDF_BYTES),
        uploaded_by=uploaded_by,
    )


def test_files_stored_under_their_old_names_still_download(client, media_root, ticket, end_user):
    attachment = legacy_attachment(media_root, ticket, end_user)
    client.force_login(end_user)
    response = download(client, attachment)
    assert response.status_code == 200
    assert body(response) == PDF_BYTES
    assert response["Content-Disposition"] == 'attachment; filename="old report.pdf"'


def test_a_file_gone_from_the_disk_is_a_404_not_a_server_error(
    client, media_root, ticket, end_user
):
    attachment = attachment_add(
        record=ticket, uploaded_by=end_user, file=upload("a.pdf", PDF_BYTES)
    )
    (media_root / attachment.file.name).unlink()
    client.force_login(end_user)
    assert download(client, attachment).status_code == 404


def test_allowed_active_content_is_still_an_opaque_download(
    client, settings, media_root, ticket, end_user
):
    settings.ATTACHMENT_ALLOW_ACTIVE_CONTENT = True
    attachment = attachment_add(record=ticket, uploaded_by=end_user, file=upload("logo.svg", SVG))
    assert attachment.mime_type == "image/svg+xml"
    client.force_login(end_user)

    response = download(client, attachment)

    assert body(response) == SVG
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="logo.svg"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_nginx_sends_the_bytes_with_x_accel_redirect(
    client, settings, media_root, ticket, end_user, make_user
):
    settings.ATTACHMENT_SERVE_VIA = "x-accel-redirect"
    settings.ATTACHMENT_INTERNAL_URL = "/protected-media/"
    new = attachment_add(record=ticket, uploaded_by=end_user, file=upload("a.pdf", PDF_BYTES))
    old = legacy_attachment(media_root, ticket, end_user)
    client.force_login(end_user)

    response = download(client, new)

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{new.file.name}"
    assert body(response) == b""
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="a.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert download(client, old)["X-Accel-Redirect"] == (
        "/protected-media/attachments/2024/05/old%20report.pdf"
    )
    client.force_login(make_user(full_name="Omid Other"))
    refused = download(client, new)
    assert refused.status_code == 404
    assert "X-Accel-Redirect" not in refused


def test_apache_sends_the_bytes_with_x_sendfile(client, settings, media_root, ticket, end_user):
    settings.ATTACHMENT_SERVE_VIA = "x-sendfile"
    attachment = attachment_add(
        record=ticket, uploaded_by=end_user, file=upload("a.pdf", PDF_BYTES)
    )
    client.force_login(end_user)

    response = download(client, attachment)

    assert response["X-Sendfile"] == str(media_root / attachment.file.name)
    assert body(response) == b""
    assert response["Content-Disposition"] == 'attachment; filename="a.pdf"'


@pytest.mark.parametrize(
    ("via", "internal_url", "ids"),
    [
        ("", "/protected-media/", []),
        ("x-accel-redirect", "/protected-media/", []),
        ("x-sendfile", "", []),
        ("sendfile", "/protected-media/", ["servicedesk.E001"]),
        ("x-accel-redirect", "protected-media", ["servicedesk.E002"]),
    ],
)
def test_the_system_check_names_a_bad_serving_setting(settings, via, internal_url, ids):
    settings.ATTACHMENT_SERVE_VIA = via
    settings.ATTACHMENT_INTERNAL_URL = internal_url
    assert [error.id for error in check_serve_via()] == ids


def test_a_file_on_a_row_that_is_not_a_record_is_nobodys(client, media_root, agent):
    attachment = Attachment.objects.create(
        content_type=ContentType.objects.get_for_model(agent),
        object_id=agent.pk,
        file="attachments/2024/05/x.pdf",
        filename="x.pdf",
        mime_type="application/pdf",
        size=1,
        uploaded_by=agent,
    )
    client.force_login(agent)
    assert download(client, attachment).status_code == 404


def test_every_record_type_says_who_sees_it():
    records = [m for m in apps.get_models() if issubclass(m, BaseRecord)]
    assert {m.__name__ for m in records} >= {"Incident", "ServiceRequest", "FulfilmentTask"}
    for model in records:
        visible = import_string(model.VISIBLE_TO)(AnonymousUser())
        assert visible.model is model
        assert list(visible) == []


# --- Every record type, and the pages that link the files -----------------------------------------


def downloads(client, people, attachment) -> dict:
    """{person's name: status code of their download}."""
    codes = {}
    for name, person in people.items():
        client.force_login(person)
        codes[name] = download(client, attachment).status_code
    return codes


def test_incident_files_follow_the_incidents_visibility(client, media_root, agent, make_user):
    requester = make_user(full_name="Emma Wilson")
    record = incident(actor=agent, requester=requester)
    reply = incident_services.incident_comment(
        incident_id=record.pk, actor=requester, body="Screenshot attached",
        files=[upload("vpn-error.png", PNG_BYTES)],
    )  # fmt: skip
    [file] = reply.attachments.all()
    people = {"requester": requester, "other": make_user(), "agent": agent}
    assert downloads(client, people, file) == {"requester": 200, "other": 404, "agent": 200}


def test_request_and_task_files_follow_their_records_visibility(db, client, media_root):
    world = laptop_setup()
    record = catalogue_services.request_create(
        actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS
    )
    reply = catalogue_services.request_comment(
        request_id=record.pk, actor=world.requester, body="The old one's serial number",
        files=[upload("serial.txt", b"SN 4711")],
    )  # fmt: skip
    [on_request] = reply.attachments.all()
    people = {
        "requester": world.requester,
        "approver": world.boss,  # sees the request while it waits for them
        "stranger": world.stranger,
        "agent": world.agent,
    }
    assert downloads(client, people, on_request) == {
        "requester": 200, "approver": 200, "stranger": 404, "agent": 200,
    }  # fmt: skip

    [approval] = record.approvals.all()
    catalogue_services.approval_decide(approval_id=approval.pk, actor=world.boss, approve=True)
    task = record.tasks.order_by("order").first()
    on_task = attachment_add(record=task, uploaded_by=world.tech, file=upload("image.txt", b"ok"))
    people = {"requester": world.requester, "tech": world.tech, "agent": world.agent}
    # tasks are the fulfillers' own pages: not even a public file on one reaches the requester
    assert downloads(client, people, on_task) == {"requester": 404, "tech": 200, "agent": 200}


def test_the_timeline_links_files_to_the_download_view(client, media_root, agent, make_user):
    requester = make_user(full_name="Emma Wilson")
    record = incident(actor=agent, requester=requester)
    incident_services.incident_attach(
        incident_id=record.pk, actor=requester, file=upload("error.png", PNG_BYTES)
    )
    incident_services.incident_comment(
        incident_id=record.pk, actor=agent, body="Quote", visibility=Visibility.INTERNAL,
        files=[upload("quote.txt", b"EUR 400")],
    )  # fmt: skip
    public = Attachment.objects.get(filename="error.png")
    internal = Attachment.objects.get(filename="quote.txt")

    client.force_login(requester)
    portal = client.get(f"/portal/incidents/{record.number}/").content.decode()
    client.force_login(agent)
    workspace = client.get(f"/incidents/{record.number}/").content.decode()

    assert f'href="/attachments/{public.pk}/download/"' in portal
    assert f"/attachments/{internal.pk}/download/" not in portal
    for page in (portal, workspace):
        assert "/media/" not in page
    assert f'href="/attachments/{public.pk}/download/"' in workspace
    assert f'href="/attachments/{internal.pk}/download/"' in workspace


def test_request_pages_link_files_to_the_download_view(db, client, media_root):
    world = laptop_setup()
    record = catalogue_services.request_create(
        actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS
    )
    reply = catalogue_services.request_comment(
        request_id=record.pk, actor=world.requester, body="Serial", files=[upload("sn.txt", b"1")]
    )
    [file] = reply.attachments.all()
    link = f'href="/attachments/{file.pk}/download/"'

    client.force_login(world.requester)
    assert link in client.get(f"/portal/requests/{record.number}/").content.decode()
    client.force_login(world.agent)
    assert link in client.get(f"/catalogue/requests/{record.number}/").content.decode()


def test_the_admin_links_the_file_to_the_download_view(
    client, media_root, ticket, end_user, make_user
):
    attachment = attachment_add(
        record=ticket, uploaded_by=end_user, file=upload("a.pdf", PDF_BYTES)
    )
    client.force_login(make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    page = client.get(f"/admin/servicedesk/attachment/{attachment.pk}/change/").content.decode()
    assert f'<a href="/attachments/{attachment.pk}/download/">a.pdf</a>' in page
    assert "/media/" not in page
