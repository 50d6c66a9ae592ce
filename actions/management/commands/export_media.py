"""Copy every evidence file and generated report into a tar archive, for a backup.

The files are read through Django's storage API, so the same command backs up a local MEDIA_ROOT
and an S3 bucket. The archive holds `evidence/<name>` and `reports/<name>` members and a
`manifest.json` with each file's size and SHA-256, which import_media checks before it writes.
"""

import datetime
import hashlib
import io
import json
import tarfile
import tempfile
from pathlib import Path

from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError

# The storages that hold files the database points at (settings.STORAGES).
MEDIA_ALIASES = ("evidence", "reports")
MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
CHUNK = 1024 * 1024


def stored_names(storage, folder: str = "") -> list[str]:
    """Every file in a storage, walked folder by folder (S3 has no recursive listing in the API)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        # A local storage that never received a file has no folder yet.
        return []
    prefix = f"{folder}/" if folder else ""
    names = [prefix + name for name in files]
    for name in folders:
        names.extend(stored_names(storage, prefix + name))
    return sorted(names)


def copy_hashing(source, target) -> tuple[int, str]:
    """Copy a file object into another; its size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def member_info(name: str, size: int, now: datetime.datetime) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    info.mtime = int(now.timestamp())
    return info


def export_media(archive_path: Path) -> dict:
    """Write the archive; its manifest (member name to size and sha256)."""
    files = {}
    now = datetime.datetime.now(datetime.UTC)
    with tarfile.open(archive_path, "w") as archive:
        for alias in MEDIA_ALIASES:
            storage = storages[alias]
            for name in stored_names(storage):
                member = f"{alias}/{name}"
                # Spooled first: a tar header needs the size, and S3 may not give it without a request.
                with storage.open(name, "rb") as source, tempfile.SpooledTemporaryFile(CHUNK * 8) as spool:
                    size, sha256 = copy_hashing(source, spool)
                    spool.seek(0)
                    archive.addfile(member_info(member, size, now), spool)
                files[member] = {"size": size, "sha256": sha256}
        manifest = {
            "format": MANIFEST_FORMAT,
            "created": now.isoformat(timespec="seconds"),
            "files": files,
        }
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        archive.addfile(member_info(MANIFEST, len(data), now), io.BytesIO(data))
    return manifest


class Command(BaseCommand):
    help = (
        "Copy every file of the 'evidence' and 'reports' storages (local disk or S3) into a tar archive "
        "with a manifest of sizes and SHA-256 checksums. Restore it with import_media."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="the .tar file to write; it must not exist yet")

    def handle(self, *args, archive: Path, **options):
        if archive.exists():
            raise CommandError(f"{archive} exists already: nothing was written.")
        partial = archive.with_name(archive.name + ".partial")
        try:
            manifest = export_media(partial)
        except Exception as error:
            partial.unlink(missing_ok=True)
            raise CommandError(
                f"The media export failed, nothing was written: {type(error).__name__}: {error}"
            ) from error
        # Renamed only when complete, so that a half-written archive never looks like a backup.
        partial.rename(archive)
        counts = {
            alias: sum(1 for member in manifest["files"] if member.startswith(f"{alias}/")) for alias in MEDIA_ALIASES
        }
        total = sum(entry["size"] for entry in manifest["files"].values())
        self.stdout.write(
            f"Wrote {archive}: {counts['evidence']} evidence file(s), {counts['reports']} report file(s), "
            f"{total} bytes."
        )
