"""Put the files of an export_media archive back into the evidence and reports storages.

Everything is checked before the first file is written: each member against the manifest's size
and SHA-256, the names, and each file already in the storage. A file there with the same content
is skipped, so that an interrupted import can be run again; one with different content stops the
import, since the database points at it and overwriting it would change someone's evidence.
"""

import json
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from django.core.files import File
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError

from actions.management.commands.export_media import CHUNK, MANIFEST, MANIFEST_FORMAT, MEDIA_ALIASES, copy_hashing

# How many problems a refusal lists before saying "and N more".
SHOWN = 10


class Discard:
    def write(self, data: bytes) -> None:
        pass


def storage_path(member: str) -> tuple[str, str] | None:
    """(alias, name in the storage) of an archive member, or None for a name that is not one of ours."""
    parts = PurePosixPath(member).parts
    # The name as written, with no "..", "." or empty part that would lead outside the storage.
    if "/".join(parts) != member or len(parts) < 2 or parts[0] not in MEDIA_ALIASES or ".." in parts:
        return None
    return parts[0], "/".join(parts[1:])


def summary(problems: list[str]) -> str:
    shown = "\n  ".join(problems[:SHOWN])
    more = f"\n  ... and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    return f"\n  {shown}{more}"


def read_archive(archive_path: Path) -> tuple[dict, dict]:
    """The manifest's files and the archive's own (member to size and sha256), read in full."""
    manifest = None
    found = {}
    problems = []
    with tarfile.open(archive_path, "r:") as archive:
        for info in archive:
            if info.name == MANIFEST:
                manifest = json.load(archive.extractfile(info))
                continue
            if not info.isfile() or storage_path(info.name) is None:
                problems.append(f"{info.name}: not a file of the evidence or reports storage")
                continue
            if info.name in found:
                problems.append(f"{info.name}: twice in the archive")
                continue
            size, sha256 = copy_hashing(archive.extractfile(info), Discard())
            found[info.name] = {"size": size, "sha256": sha256}
    if manifest is None:
        raise CommandError(
            f"{archive_path} has no {MANIFEST}: it was not written by export_media. Nothing was imported."
        )
    if manifest.get("format") != MANIFEST_FORMAT:
        raise CommandError(
            f"{MANIFEST} has format {manifest.get('format')!r}, not {MANIFEST_FORMAT}. Nothing was imported."
        )
    expected = manifest["files"]
    for member in sorted(expected.keys() | found.keys()):
        if member not in found:
            problems.append(f"{member}: in the manifest but missing from the archive")
        elif member not in expected:
            problems.append(f"{member}: in the archive but not in the manifest")
        elif found[member] != {"size": expected[member]["size"], "sha256": expected[member]["sha256"]}:
            problems.append(
                f"{member}: checksum mismatch (manifest {expected[member]['size']} bytes, sha256 "
                f"{expected[member]['sha256']}; archive {found[member]['size']} bytes, sha256 {found[member]['sha256']})"
            )
    if problems:
        raise CommandError(f"The archive {archive_path} is damaged; nothing was imported:{summary(problems)}")
    return expected


def stored_sha256(storage, name: str) -> str:
    with storage.open(name, "rb") as stored:
        return copy_hashing(stored, Discard())[1]


def plan(files: dict) -> tuple[list[str], list[str]]:
    """The members to write and those already stored with the same content; refuses on a different one."""
    to_write, identical, conflicts = [], [], []
    for member, entry in sorted(files.items()):
        alias, name = storage_path(member)
        storage = storages[alias]
        if not storage.exists(name):
            to_write.append(member)
        elif stored_sha256(storage, name) == entry["sha256"]:
            identical.append(member)
        else:
            conflicts.append(f"{member}: a different file with this name is already stored")
    if conflicts:
        raise CommandError(f"Nothing was imported, since existing files would be overwritten:{summary(conflicts)}")
    return to_write, identical


def write(archive_path: Path, files: dict, members: list[str]) -> None:
    wanted = set(members)
    with tarfile.open(archive_path, "r:") as archive:
        for info in archive:
            if info.name not in wanted:
                continue
            alias, name = storage_path(info.name)
            with tempfile.SpooledTemporaryFile(CHUNK * 8) as spool:
                # Checked again as written, in case the archive changed since it was read.
                _size, sha256 = copy_hashing(archive.extractfile(info), spool)
                if sha256 != files[info.name]["sha256"]:
                    raise CommandError(f"{info.name} changed while it was imported; run import_media again.")
                spool.seek(0)
                saved = storages[alias].save(name, File(spool, name=PurePosixPath(name).name))
            if saved != name:
                raise CommandError(f"{info.name} was stored as {alias}/{saved}, not under its own name.")


class Command(BaseCommand):
    help = (
        "Put the files of an export_media archive back into the 'evidence' and 'reports' storages (local disk "
        "or S3). Every checksum is checked first; existing identical files are skipped, different ones refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="the .tar file written by export_media")

    def handle(self, *args, archive: Path, **options):
        if not archive.is_file():
            raise CommandError(f"{archive} is not a file.")
        try:
            files = read_archive(archive)
        except (tarfile.TarError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise CommandError(
                f"{archive} is not a readable export_media archive ({type(error).__name__}: {error}). "
                "Nothing was imported."
            ) from error
        to_write, identical = plan(files)
        try:
            write(archive, files, to_write)
        except Exception as error:
            raise CommandError(
                f"The import stopped ({type(error).__name__}: {error}). The files before it were imported; "
                "running import_media again skips them."
            ) from error
        self.stdout.write(
            f"Imported {len(to_write)} file(s) from {archive}; {len(identical)} identical file(s) were already there."
        )
