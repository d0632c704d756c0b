"""Attachments: what is accepted on upload (size, type by name and by content) and how a file is
handed back (always as a download, never shown in the browser's own origin)."""

import mimetypes
import os
import re
from urllib.parse import quote

from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

# Executables and scripts are refused whatever name they carry.
FORBIDDEN_SIGNATURES = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
# Scripts need no signature; some are "text/plain" to `mimetypes` (.bat without /etc/mime.types).
FORBIDDEN_EXTENSIONS = {
    ".bat", ".cmd", ".com", ".exe", ".hta", ".js", ".jse", ".ksh", ".msi", ".pl", ".ps1", ".py",
    ".reg", ".scr", ".sh", ".vbe", ".vbs", ".wsf",
}  # fmt: skip

# Web content a browser runs scripts in. Refused unless ATTACHMENT_ALLOW_ACTIVE_CONTENT is on;
# then accepted under these names only, and still served as an opaque download.
ACTIVE_TYPES = frozenset(
    {"image/svg+xml", "text/html", "application/xhtml+xml", "text/xml", "application/xml"}
)
# How far into a file the checks look: browsers sniff HTML within the first 512 bytes; a PDF
# header may sit anywhere in the first 1024.
HEAD_BYTES = 1024
# What a browser takes for HTML, XML or SVG at the start of a file (after a byte-order mark and
# white space): the WHATWG MIME Sniffing standard's HTML and XML patterns, plus SVG's root
# element and doctype. A tag name must end at a space or ">" ("<a" starts HTML, "<abc" not).
ACTIVE_START = re.compile(
    rb"<(?:!doctype\s+(?:html|svg)|html|head|script|iframe|h1|div|font|table|a|style|title|b"
    rb"|body|br|p|svg)[\s>]|<!--|<\?xml",
    re.IGNORECASE,
)
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Containers recognised by their first bytes. Office documents (OOXML, OpenDocument) are ZIPs.
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
ZIP_TYPES = frozenset(
    {
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)


def attachment_check(uploaded_file) -> str:
    """Return the file's MIME type, or raise ValidationError saying why it is refused.

    The name's type must be allowed (ATTACHMENT_ALLOWED_TYPES); executables are refused by
    signature and by extension; web content that could run scripts (HTML, XML, SVG) is refused
    whatever the name unless ATTACHMENT_ALLOW_ACTIVE_CONTENT is on; images, PDFs and ZIP-based
    documents must hold what their name says. The type returned is the one found in the
    content when it differs from the name's (a JPEG called .png is stored as image/jpeg).
    """
    limit = settings.ATTACHMENT_MAX_BYTES
    name = uploaded_file.name
    if uploaded_file.size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size)s; files may be at most %(limit)s.")
            % {
                "name": name,
                "size": filesizeformat(uploaded_file.size),
                "limit": filesizeformat(limit),
            },
            code="too_large",
        )
    if uploaded_file.size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    mime_type, _encoding = mimetypes.guess_type(name, strict=False)
    uploaded_file.seek(0)
    head = uploaded_file.read(HEAD_BYTES)
    uploaded_file.seek(0)
    if (
        mime_type not in allowed_types()
        or head.startswith(FORBIDDEN_SIGNATURES)
        or os.path.splitext(name)[1].lower() in FORBIDDEN_EXTENSIONS
    ):
        raise ValidationError(
            _("“%(name)s” is not a file type we accept. Accepted: %(types)s.")
            % {"name": name, "types": accepted_extensions()},
            code="forbidden_type",
        )
    if is_active_content(head):
        if not settings.ATTACHMENT_ALLOW_ACTIVE_CONTENT:
            raise ValidationError(
                _(
                    "“%(name)s” holds web content (HTML, XML or SVG) that could run scripts; "
                    "such files are not accepted."
                )
                % {"name": name},
                code="active_content",
            )
        if mime_type in ACTIVE_TYPES:
            return mime_type
        raise _not_what_the_name_says(name)
    if mime_type == "application/pdf" and b"%PDF-" in head:
        return mime_type
    found = content_type(uploaded_file, head)
    if found is None and _needs_signature(mime_type):
        raise _not_what_the_name_says(name)
    if (
        found is None
        or found == mime_type
        or (found == "application/zip" and mime_type in ZIP_TYPES)
    ):
        return mime_type
    if found in settings.ATTACHMENT_ALLOWED_TYPES:
        return found
    raise _not_what_the_name_says(name)


def _not_what_the_name_says(name: str) -> ValidationError:
    extension = os.path.splitext(name)[1].lstrip(".").upper()
    return ValidationError(
        _("The content of “%(name)s” is not a %(extension)s file.")
        % {"name": name, "extension": extension},
        code="content_mismatch",
    )


def allowed_types() -> set[str]:
    """The types accepted by name: the setting's, and active content when an administrator
    switched it on."""
    allowed = set(settings.ATTACHMENT_ALLOWED_TYPES)
    if settings.ATTACHMENT_ALLOW_ACTIVE_CONTENT:
        allowed |= ACTIVE_TYPES
    return allowed


def is_active_content(head: bytes) -> bool:
    """Whether a browser would take a file starting with `head` for HTML, XML or SVG."""
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM) :]
    elif head.startswith(UTF16_BOMS):
        head = head.decode("utf-16", errors="ignore").encode("ascii", errors="ignore")
    return ACTIVE_START.match(head.lstrip()) is not None


def _image_formats() -> dict[str, str]:
    """The allowed image types Pillow reads, by Pillow's format name: {"PNG": "image/png", ...}.

    Only those: a text file that happens to parse as some exotic format (XBM is C source) is
    not taken for an image nobody allowed.
    """
    Image.init()
    allowed = allowed_types()
    return {
        name: mime for name, mime in Image.MIME.items() if name in Image.OPEN and mime in allowed
    }


def _needs_signature(mime_type: str) -> bool:
    """Types whose content can be checked: images Pillow reads, PDF and ZIP containers."""
    return (
        mime_type in _image_formats().values()
        or mime_type == "application/pdf"
        or mime_type in ZIP_TYPES
    )


def content_type(uploaded_file, head: bytes) -> str | None:
    """The type the bytes say (an image Pillow opens, a PDF, a ZIP), or None for text and
    anything else without a signature. Leaves the file rewound."""
    if head.startswith(ZIP_SIGNATURES):
        return "application/zip"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    formats = _image_formats()
    if not formats:
        return None
    try:
        with Image.open(uploaded_file, formats=list(formats)) as image:
            found = formats.get(image.format or "")
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        found = None
    finally:
        uploaded_file.seek(0)
    return found


def accepted_extensions() -> str:
    extensions = set()
    for mime_type in allowed_types():
        extensions.update(mimetypes.guess_all_extensions(mime_type, strict=False))
    return ", ".join(sorted(extensions - FORBIDDEN_EXTENSIONS))


# --- Downloads ------------------------------------------------------------------------------


def served_content_type(mime_type: str) -> str:
    """The Content-Type a stored file is sent with: its own, unless a browser could run it
    (HTML, XML, SVG, scripts), which goes out as opaque bytes."""
    main, _slash, subtype = (mime_type or "").lower().partition("/")
    active = (
        mime_type in ACTIVE_TYPES
        or subtype == "xml"
        or subtype.endswith("+xml")
        or "html" in subtype
        or "javascript" in subtype
        or "ecmascript" in subtype
    )
    if active or not main or not subtype:
        return "application/octet-stream"
    return mime_type


def attachment_response(attachment) -> HttpResponse | FileResponse:
    """The download of a stored file the caller already let the user have (`attachment_get`).

    Always `Content-Disposition: attachment` with the original name, `nosniff` and a sandboxing
    Content-Security-Policy, never cached by shared caches. With ATTACHMENT_SERVE_VIA the reverse
    proxy sends the bytes (X-Accel-Redirect under ATTACHMENT_INTERNAL_URL, or X-Sendfile with
    the file's path); otherwise Django streams them. Raises Http404 when the file is gone.
    """
    content_type = served_content_type(attachment.mime_type)
    via = settings.ATTACHMENT_SERVE_VIA
    response: HttpResponse | FileResponse
    if via == "x-accel-redirect":
        response = HttpResponse(content_type=content_type)
        location = settings.ATTACHMENT_INTERNAL_URL.rstrip("/") + "/" + attachment.file.name
        response["X-Accel-Redirect"] = quote(location)
    elif via == "x-sendfile":
        response = HttpResponse(content_type=content_type)
        response["X-Sendfile"] = quote(attachment.file.path)
    else:
        try:
            handle = attachment.file.storage.open(attachment.file.name, "rb")
        except OSError:
            raise Http404(_("This file is no longer stored.")) from None
        response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    add_never_cache_headers(response)
    return response


SERVE_VIA = ("", "x-accel-redirect", "x-sendfile")


def check_serve_via(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A system check: ATTACHMENT_SERVE_VIA names a way we know, with a usable location."""
    errors: list[checks.CheckMessage] = []
    if settings.ATTACHMENT_SERVE_VIA not in SERVE_VIA:
        errors.append(
            checks.Error(
                f"ATTACHMENT_SERVE_VIA is {settings.ATTACHMENT_SERVE_VIA!r}.",
                hint="Use one of: empty (the app sends files), x-accel-redirect, x-sendfile.",
                id="servicedesk.E001",
            )
        )
    if settings.ATTACHMENT_SERVE_VIA == "x-accel-redirect" and not (
        settings.ATTACHMENT_INTERNAL_URL.startswith("/")
    ):
        errors.append(
            checks.Error(
                f"ATTACHMENT_INTERNAL_URL is {settings.ATTACHMENT_INTERNAL_URL!r}.",
                hint="Give the path of nginx's internal location, e.g. /protected-media/.",
                id="servicedesk.E002",
            )
        )
    return errors
