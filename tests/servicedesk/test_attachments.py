"""Upload limits: size, and type by name and by content; refused files are never stored."""

import mimetypes

import pytest
from django.core.exceptions import ValidationError

from servicedesk.attachments import accepted_extensions, attachment_check
from servicedesk.models import Attachment
from servicedesk.services import attachment_add

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
    [path] = stored_files(media_root)
    assert path.name == name
    assert path.read_bytes() == content
