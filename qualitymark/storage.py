"""Where evidence files live.

Evidence is stored under random keys, never under its hash or its name: a key must not be
guessable, must not reveal what the file contains, and two co-ops uploading the same policy
template must not share (or learn about) each other's object. The SHA-256 is recorded
alongside for integrity checks and duplicate warnings, not used for addressing.

`EvidenceStore` is the small interface the app uses, so that an S3-compatible store can
replace `DirectoryStore` later. Nothing here knows about Flask or the database: the app
wires the store in and records `StoredFile` wherever it likes.

Layout of a DirectoryStore:

    root/tmp/                  uploads in progress (also Werkzeug's spool, see temp_file_factory)
    root/objects/ab/abXYZ...   stored objects, fanned out on the first two characters of the key

Temporary files live inside root so that the final move is an atomic rename on one file
system: a reader never sees half a file, and a crash leaves only litter in root/tmp.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Protocol, runtime_checkable

from qualitymark.filetypes import EMPTY_MESSAGE, Detected, Rejected, detect

__all__ = [
    "CHUNK_SIZE",
    "DirectoryStore",
    "EmptyFile",
    "EvidenceStore",
    "RejectedFile",
    "StoredFile",
    "TooLarge",
    "UploadError",
    "temp_file_factory",
    "validate_key",
]

CHUNK_SIZE = 64 * 1024
KEY_BYTES = 24  # secrets.token_urlsafe(24): 192 random bits, 32 characters
_KEY = re.compile(r"[A-Za-z0-9_-]{32}")
_DIR_MODE = 0o700
_FILE_MODE = 0o600


# --- results and errors -------------------------------------------------------------------

@dataclass(frozen=True)
class StoredFile:
    key: str
    sha256: str  # hex
    size: int
    detected: Detected


class UploadError(Exception):
    """An upload we refuse; `message` is meant for the person who uploaded it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooLarge(UploadError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The file is larger than our limit of {_human_size(limit)}. If it is a scan or a "
            f"photo, save it at a lower resolution or split it into parts, then upload again."
        )
        self.limit = limit


class EmptyFile(UploadError):
    def __init__(self) -> None:
        super().__init__(EMPTY_MESSAGE)


class RejectedFile(UploadError):
    def __init__(self, message: str, rejected: Rejected | None = None) -> None:
        super().__init__(message)
        self.rejected = rejected


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


def validate_key(key: str) -> str:
    """Return the key if it has the shape of one we issue, else raise ValueError. Every key
    that reaches the file system goes through here, so "../../etc/passwd" cannot."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"Not a valid evidence key: {key!r}")
    return key


# --- the interface ------------------------------------------------------------------------

@runtime_checkable
class EvidenceStore(Protocol):
    def save(self, stream: IO[bytes], *, max_bytes: int, original_name: str = "") -> StoredFile:
        """Store the stream's content under a new random key. Raises TooLarge, EmptyFile or
        RejectedFile (all UploadError) and then leaves nothing behind."""
        ...

    def open(self, key: str) -> BinaryIO:
        """The stored content, for reading; FileNotFoundError if there is no such key."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool:
        ...


# --- the directory implementation ---------------------------------------------------------

def _make_private_dir(path: Path) -> None:
    """Create path (and missing parents) as 0700. Directories that already exist are left
    as they are: root may be a mount point whose mode is the operator's business."""
    missing = []
    for directory in (path, *path.parents):
        if directory.exists():
            break
        missing.append(directory)
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=_DIR_MODE)
        except FileExistsError:  # a concurrent upload made it first
            continue
        # mkdir's mode is filtered by the umask; say exactly what we mean.
        os.chmod(directory, _DIR_MODE)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DirectoryStore:
    """Evidence on a local (or mounted) directory. See the module docstring for the layout."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self.objects = self.root / "objects"

    def path_for(self, key: str) -> Path:
        """Where the object for key lives (it may not exist). For serving with send_file or
        X-Sendfile; not part of EvidenceStore because object stores have no paths."""
        key = validate_key(key)
        return self.objects / key[:2] / key

    def save(self, stream: IO[bytes], *, max_bytes: int, original_name: str = "") -> StoredFile:
        _make_private_dir(self.tmp)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")  # mkstemp: 0600
        tmp_path = Path(tmp_name)
        destination: Path | None = None
        try:
            with os.fdopen(fd, "wb") as out:
                digest, size = _copy_limited(stream, out, max_bytes)
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise EmptyFile()
            detected = detect(tmp_path, original_name)
            if isinstance(detected, Rejected):
                raise RejectedFile(detected.message, detected)
            key = secrets.token_urlsafe(KEY_BYTES)
            target = self.path_for(key)
            _make_private_dir(target.parent)
            os.chmod(tmp_path, _FILE_MODE)
            os.replace(tmp_path, target)
            destination = target
            # Without this the rename itself may not survive a power cut.
            _fsync_dir(destination.parent)
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            if destination is not None:  # the caller will not learn this key: don't orphan it
                destination.unlink(missing_ok=True)
            raise
        return StoredFile(key=key, sha256=digest, size=size, detected=detected)

    def save_spooled(self, stream: IO[bytes], *, max_bytes: int, original_name: str = "") -> StoredFile:
        """Store an upload that Werkzeug has already spooled into root/tmp through
        `temp_file_factory` (pass `request.files[...].stream`).

        This copies and hashes it in chunks exactly like `save`. Renaming the spooled file
        into place would save one copy, but the spool is a NamedTemporaryFile that deletes
        itself on close, and Werkzeug owns its lifetime; the copy is on the same disk and
        costs little next to the upload itself, so the simple, correct thing wins."""
        if stream.seekable():
            stream.seek(0)
        return self.save(stream, max_bytes=max_bytes, original_name=original_name)

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self.path_for(key), "rb")
        except FileNotFoundError:
            raise FileNotFoundError(errno.ENOENT, "No stored evidence file with key", key) from None

    def delete(self, key: str) -> None:
        # The fan-out directory is kept: removing it could race with an upload moving into it.
        self.path_for(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()


def _copy_limited(stream: IO[bytes], out: IO[bytes], max_bytes: int) -> tuple[str, int]:
    """Copy stream to out in chunks, hashing as we go. Reads at most max_bytes + 1 bytes, so an
    oversized upload is refused without reading (or storing) the rest of it."""
    digest = hashlib.sha256()
    size = 0
    while True:
        chunk = stream.read(min(CHUNK_SIZE, max_bytes + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(max_bytes)
        digest.update(chunk)
        out.write(chunk)
    return digest.hexdigest(), size


def temp_file_factory(root: Path | str) -> Callable[..., IO[bytes]]:
    """A Werkzeug stream factory that spools uploads to root/tmp instead of the system temp
    directory (or memory), so a large upload is written once, to the disk the store is on.

    Wire it with a Flask Request subclass whose `_get_file_stream` returns
    `factory(total_content_length, content_type, filename, content_length)` (set it as
    `app.request_class`); then store with `DirectoryStore.save_spooled`."""
    tmp = Path(root) / "tmp"

    def factory(total_content_length: int | None, content_type: str | None,
                filename: str | None, content_length: int | None = None) -> IO[bytes]:
        _make_private_dir(tmp)
        return tempfile.NamedTemporaryFile("w+b", dir=tmp, prefix="spool-", delete=True)

    return factory
