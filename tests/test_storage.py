"""The directory evidence store (pure unit tests: no app, no database)."""
from __future__ import annotations

import hashlib
import io
import os
import stat
import tracemalloc
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

import evidence_samples as samples
from qualitymark.storage import (
    CHUNK_SIZE,
    DirectoryStore,
    EmptyFile,
    EvidenceStore,
    RejectedFile,
    StoredFile,
    TooLarge,
    UploadError,
    temp_file_factory,
    validate_key,
)

MB = 1024 * 1024


@pytest.fixture
def root(tmp_path) -> Path:
    return tmp_path / "evidence"


@pytest.fixture
def store(root) -> DirectoryStore:
    return DirectoryStore(root)


def files_under(root: Path) -> list[Path]:
    return [Path(folder, name) for folder, _, names in os.walk(root) for name in names]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_directory_store_satisfies_the_interface(store):
    assert isinstance(store, EvidenceStore)


def test_a_saved_file_reads_back_byte_for_byte_with_its_sha256(store, root):
    data = samples.pdf()

    stored = store.save(io.BytesIO(data), max_bytes=MB, original_name="Adroddiad.pdf")

    assert isinstance(stored, StoredFile)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert (stored.detected.kind, stored.detected.extension_mismatch) == ("pdf", False)
    with store.open(stored.key) as f:
        assert f.read() == data
    assert store.exists(stored.key)
    assert store.path_for(stored.key) == root / "objects" / stored.key[:2] / stored.key
    assert files_under(root) == [store.path_for(stored.key)]


def test_the_original_name_only_informs_the_mismatch_flag(store):
    stored = store.save(io.BytesIO(samples.docx()), max_bytes=MB, original_name="report.pdf")
    assert (stored.detected.kind, stored.detected.extension_mismatch) == ("docx", True)


def test_the_same_content_twice_has_the_same_hash_under_different_random_keys(store):
    first = store.save(io.BytesIO(samples.png()), max_bytes=MB)
    second = store.save(io.BytesIO(samples.png()), max_bytes=MB)

    assert first.sha256 == second.sha256
    assert first.key != second.key
    for key in (first.key, second.key):
        assert validate_key(key) == key
        assert len(key) == 32
        assert first.sha256[:8] not in key


def test_a_file_of_exactly_the_limit_is_accepted(store):
    data = samples.pdf()
    assert store.save(io.BytesIO(data), max_bytes=len(data)).size == len(data)


def test_too_large_stops_reading_early_and_leaves_nothing(store, root):
    stream = samples.pdf_stream(20 * MB)

    with pytest.raises(TooLarge) as caught:
        store.save(stream, max_bytes=MB)

    assert caught.value.limit == MB
    assert "1 MB" in caught.value.message
    assert stream.bytes_read <= MB + CHUNK_SIZE
    assert files_under(root) == []


def test_an_empty_upload_is_refused_and_leaves_nothing(store, root):
    with pytest.raises(EmptyFile) as caught:
        store.save(io.BytesIO(b""), max_bytes=MB)

    assert "empty (0 bytes)" in caught.value.message
    assert files_under(root) == []


@pytest.mark.parametrize("build", [samples.windows_executable, samples.html_page,
                                   lambda: samples.docx(vba_project=True), samples.plain_zip])
def test_rejected_content_is_refused_and_leaves_nothing(store, root, build):
    with pytest.raises(RejectedFile) as caught:
        store.save(io.BytesIO(build()), max_bytes=MB, original_name="policy.pdf")

    assert caught.value.message == caught.value.rejected.message
    assert isinstance(caught.value, UploadError)
    assert files_under(root) == []


def test_a_stream_that_fails_midway_leaves_nothing(store, root):
    def chunks():
        yield b"%PDF-1.4\n" + b"%" * 100_000
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.save(samples.GeneratedStream(chunks()), max_bytes=MB)
    assert files_under(root) == []


@pytest.mark.parametrize("key", [
    "../../etc/passwd",
    "../" + "a" * 29,
    "a" * 31,
    "a" * 33,
    "",
    "a" * 30 + "/b",
    "a" * 31 + ".",
    "a" * 31 + "\x00",
    "é" * 32,
])
def test_keys_that_we_could_not_have_issued_are_refused_everywhere(store, key):
    for use in (store.open, store.delete, store.exists, store.path_for, validate_key):
        with pytest.raises(ValueError):
            use(key)


def test_opening_a_missing_key_names_the_key(store):
    key = "A" * 32
    with pytest.raises(FileNotFoundError) as caught:
        store.open(key)
    assert key in str(caught.value)


def test_files_are_private_to_the_service(store, root):
    stored = store.save(io.BytesIO(samples.gif()), max_bytes=MB)
    path = store.path_for(stored.key)

    assert mode(path) == 0o600
    for directory in (root, root / "tmp", root / "objects", path.parent):
        assert mode(directory) == 0o700, directory


def test_an_existing_root_keeps_its_own_mode(tmp_path):
    root = tmp_path / "mounted"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)

    DirectoryStore(root).save(io.BytesIO(samples.gif()), max_bytes=MB)

    assert mode(root) == 0o755
    assert mode(root / "objects") == 0o700


def test_delete_is_idempotent(store):
    stored = store.save(io.BytesIO(samples.jpeg()), max_bytes=MB)

    store.delete(stored.key)
    store.delete(stored.key)

    assert not store.exists(stored.key)
    with pytest.raises(FileNotFoundError):
        store.open(stored.key)


def test_saving_25_mb_does_not_hold_it_in_memory(store):
    size = 25 * MB
    stream = samples.pdf_stream(size)
    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        stored = store.save(stream, max_bytes=30 * MB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert stored.size == size
    assert stored.detected.kind == "pdf"
    assert peak - baseline < 2 * MB, f"peak grew by {(peak - baseline) / MB:.1f} MB"
    expected = hashlib.sha256()
    for chunk in samples.padded_pdf_chunks(size):
        expected.update(chunk)
    assert stored.sha256 == expected.hexdigest()


# --- Werkzeug spooling ----------------------------------------------------------------------

def test_the_stream_factory_spools_into_the_store_and_cleans_up(root):
    factory = temp_file_factory(root)

    spool = factory(total_content_length=10, content_type="application/pdf",
                    filename="a.pdf", content_length=None)
    spool.write(b"%PDF-1.4\n")
    spool.seek(0)
    assert spool.read() == b"%PDF-1.4\n"
    path = Path(spool.name)
    assert path.parent == root / "tmp"
    assert mode(root / "tmp") == 0o700

    spool.close()
    assert not path.exists()


def test_an_upload_parsed_by_werkzeug_lands_in_the_store_tmp_and_is_saved(store, root):
    factory = temp_file_factory(root)

    class SpoolingRequest(Request):
        def _get_file_stream(self, total_content_length, content_type, filename=None,
                             content_length=None):
            return factory(total_content_length, content_type, filename, content_length)

    data = samples.xlsx()
    builder = EnvironBuilder(method="POST", data={
        "evidence": (io.BytesIO(data), "Cyfrifon.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    })
    try:
        request = SpoolingRequest(builder.get_environ())
        upload = request.files["evidence"]
        assert Path(upload.stream.name).parent == root / "tmp"

        stored = store.save_spooled(upload.stream, max_bytes=MB, original_name=upload.filename)

        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        assert stored.detected.kind == "xlsx"
        request.close()
    finally:
        builder.close()
    assert files_under(root) == [store.path_for(stored.key)]
