"""Checks on evidence files: the type is read from the content, never from the name."""

import zipfile

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Types read from the first bytes of the file.
SNIFFED_TYPES = {
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/tiff",
}
# Office documents are ZIP archives (OOXML, OpenDocument) or OLE2 compound files (old Office).
OOXML_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE2_TYPES = {".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint"}


def office_type(uploaded, name: str) -> str | None:
    uploaded.seek(0)
    head = uploaded.read(8)
    uploaded.seek(0)
    if head == OLE2_SIGNATURE:
        return OLE2_TYPES.get("." + name.rsplit(".", 1)[-1].lower()) if "." in name else None
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(uploaded) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                if mimetype.startswith("application/vnd.oasis.opendocument."):
                    return mimetype
            if "[Content_Types].xml" in names:
                for prefix, content_type in OOXML_TYPES.items():
                    if any(member.startswith(prefix) for member in names):
                        return content_type
    except zipfile.BadZipFile:
        return None
    finally:
        uploaded.seek(0)
    return None


def check_evidence_file(uploaded) -> str:
    """The file's content type, or a ValidationError naming the file."""
    name = uploaded.name
    if uploaded.size > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(
            _("%(name)s is too large (%(size)s); the limit is %(limit)s.")
            % {
                "name": name,
                "size": filesizeformat(uploaded.size),
                "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES),
            }
        )
    content_type = office_type(uploaded, name)
    if content_type is None:
        uploaded.seek(0)
        kind = filetype.guess(uploaded.read(8192))
        uploaded.seek(0)
        if kind is not None and kind.mime in SNIFFED_TYPES:
            content_type = kind.mime
    if content_type is None:
        raise ValidationError(
            _("%(name)s is not a PDF, an image or an office document; only these can be attached.") % {"name": name}
        )
    return content_type
