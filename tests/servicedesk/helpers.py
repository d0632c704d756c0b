"""Helpers shared by the kernel's tests (fixtures live in conftest.py)."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile

NUMBER_PATTERN = re.compile(r"^TKT(\d{7})$")

PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# A whole 1x1 red PNG, checksums and all: uploads are checked by their content.
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def number_value(number: str) -> int:
    """The integer behind a record number; fails the test when the format is wrong."""
    match = NUMBER_PATTERN.match(number)
    assert match, f"{number!r} is not TKT followed by seven digits"
    return int(match.group(1))


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(root) -> list:
    """Every file under `root` (an upload directory), or [] when nothing was ever stored."""
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []
