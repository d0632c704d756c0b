"""Upload limits for attachments: size, and type by name and by content."""

import mimetypes
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Executables and scripts are refused whatever name they carry.
FORBIDDEN_SIGNATURES = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
# Scripts need no signature; some are "text/plain" to `mimetypes` (.bat without /etc/mime.types).
FORBIDDEN_EXTENSIONS = {
    ".bat", ".cmd", ".com", ".exe", ".hta", ".js", ".jse", ".ksh", ".msi", ".pl", ".ps1", ".py",
    ".reg", ".scr", ".sh", ".vbe", ".vbs", ".wsf",
}  # fmt: skip


def attachment_check(uploaded_file) -> str:
    """Return the file's MIME type, or raise ValidationError saying why it is refused."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if uploaded_file.size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size)s; files may be at most %(limit)s.")
            % {
                "name": uploaded_file.name,
                "size": filesizeformat(uploaded_file.size),
                "limit": filesizeformat(limit),
            },
            code="too_large",
        )
    if uploaded_file.size == 0:
        raise ValidationError(
            _("“%(name)s” is empty.") % {"name": uploaded_file.name}, code="empty"
        )
    mime_type, _encoding = mimetypes.guess_type(uploaded_file.name, strict=False)
    head = uploaded_file.read(8)
    uploaded_file.seek(0)
    if (
        mime_type not in settings.ATTACHMENT_ALLOWED_TYPES
        or head.startswith(FORBIDDEN_SIGNATURES)
        or os.path.splitext(uploaded_file.name)[1].lower() in FORBIDDEN_EXTENSIONS
    ):
        raise ValidationError(
            _("“%(name)s” is not a file type we accept. Accepted: %(types)s.")
            % {"name": uploaded_file.name, "types": accepted_extensions()},
            code="forbidden_type",
        )
    return mime_type


def accepted_extensions() -> str:
    extensions = set()
    for mime_type in settings.ATTACHMENT_ALLOWED_TYPES:
        extensions.update(mimetypes.guess_all_extensions(mime_type, strict=False))
    return ", ".join(sorted(extensions - FORBIDDEN_EXTENSIONS))
