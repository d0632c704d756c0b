"""Upload limits: size, and type by name and by content; refused files are never stored."""

import io
import mimetypes
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from servicedesk.attachments import accepted_extensions, attachment_check, served_content_type
from servicedesk.models import Attachment, attachment_path
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
