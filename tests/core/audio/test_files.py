"""Finding WAV files, telling finished copies from running ones, hashing by content."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from core.audio.files import (
    display_path,
    find_audio_files,
    has_utf8_name,
    sha256_of,
)
from core.audio.settling import wait_until_settled
from core.errors import ConfigError, NotRegularFileError


def test_finds_wav_files_recursively_once(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".Trashes").mkdir()
    for name in ("a/x.WAV", "a/b/y.wav", "a/b/z.Wav", "top.wav"):
        (tmp_path / name).write_bytes(b"RIFF")
    for name in ("a/CONFIG.TXT", "a/._x.WAV", ".Trashes/old.wav", "a/x.wav.part"):
        (tmp_path / name).write_bytes(b"not a recording")
    found = find_audio_files([tmp_path, tmp_path / "a"]).files  # nested roots: each once
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a/b/y.wav",
        "a/b/z.Wav",
        "a/x.WAV",
        "top.wav",
    ]
    assert all(p.is_absolute() for p in found)


def test_a_missing_root_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is the drive mounted"):
        find_audio_files([tmp_path / "unmounted"])


def test_files_that_change_between_looks_are_still_copying(tmp_path: Path) -> None:
    done, growing, going = (tmp_path / n for n in ("done.wav", "growing.wav", "going.wav"))
    for path in (done, growing, going):
        path.write_bytes(b"\0" * 100)

    def meanwhile(seconds: float) -> None:
        assert seconds == 2.0
        with growing.open("ab") as fh:
            fh.write(b"\0" * 100)
        going.unlink()

    settled = wait_until_settled([done, growing, going], 2.0, sleep=meanwhile)
    assert (settled.stable, settled.changing, settled.vanished) == ([done], [growing], [going])


def test_no_wait_takes_every_file_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(b"x")
    calls: list[float] = []
    settled = wait_until_settled([path, tmp_path / "gone.wav"], 0.0, sleep=calls.append)
    assert (settled.stable, settled.vanished, calls) == ([path], [tmp_path / "gone.wav"], [])


def test_hash_is_sha256_of_the_bytes(tmp_path: Path) -> None:
    data = bytes(range(256)) * 5000
    path = tmp_path / "a.wav"
    path.write_bytes(data)
    assert sha256_of(path) == hashlib.sha256(data).hexdigest()


def _scan(root: Path) -> tuple[list[str], dict[str, str]]:
    found = find_audio_files([root])
    files = [p.relative_to(root.resolve()).as_posix() for p in found.files]
    return files, {Path(s.path).name: s.reason for s in found.skipped}


def test_flac_is_read_and_other_formats_are_reported(tmp_path: Path) -> None:
    for name in ("a.flac", "b.FLAC", "c.mp3", "d.M4A", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    files, skipped = _scan(tmp_path)
    assert files == ["a.flac", "b.FLAC"]
    assert set(skipped) == {"c.mp3", "d.M4A"}
    assert "unsupported format (MP3)" in skipped["c.mp3"] and "WAV or FLAC" in skipped["c.mp3"]


def test_special_files_and_links_are_reported_and_never_opened(tmp_path: Path) -> None:
    root, outside = tmp_path / "audio", tmp_path / "elsewhere"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "real.wav").write_bytes(b"RIFF")
    (outside / "secret.wav").write_bytes(b"RIFF")
    os.mkfifo(root / "pipe.wav")
    (root / "zero.wav").symlink_to("/dev/zero")
    (root / "passwd.wav").symlink_to("/etc/passwd")
    (root / "away.wav").symlink_to(outside / "secret.wav")
    (root / "inside.wav").symlink_to(root / "real.wav")
    (root / "gone.wav").symlink_to(root / "nothing.wav")
    (root / "loop1.wav").symlink_to(root / "loop2.wav")
    (root / "loop2.wav").symlink_to(root / "loop1.wav")
    (root / "sub" / "up").symlink_to(root, target_is_directory=True)
    files, skipped = _scan(root)
    # A link inside the folders is its target, counted once.
    assert files == ["real.wav"]
    assert "named pipe" in skipped["pipe.wav"]
    assert "a device" in skipped["zero.wav"] or "outside the audio folders" in skipped["zero.wav"]
    assert "outside the audio folders" in skipped["passwd.wav"]
    assert "outside the audio folders" in skipped["away.wav"]
    assert "broken link" in skipped["gone.wav"]
    assert "loops" in skipped["loop1.wav"] and "loops" in skipped["loop2.wav"]
    assert "not followed" in skipped["up"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_an_unreadable_folder_is_reported(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.wav").write_bytes(b"RIFF")
    locked.chmod(0)
    try:
        files, skipped = _scan(tmp_path)
    finally:
        locked.chmod(0o755)
    assert files == [] and "cannot be read" in skipped["locked"]


def test_hashing_a_named_pipe_refuses_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "x.wav"
    os.mkfifo(pipe)
    outcome: list[BaseException] = []

    def hash_it() -> None:
        try:
            sha256_of(pipe)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            outcome.append(exc)

    worker = threading.Thread(target=hash_it, daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), "sha256_of blocked on a named pipe"
    assert isinstance(outcome[0], NotRegularFileError)
    assert "named pipe" in str(outcome[0])


def test_undecodable_names_are_shown_with_escapes(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/caf\xe9.wav"
    with open(raw, "wb") as fh:
        fh.write(b"RIFF")
    (found,) = find_audio_files([tmp_path]).files
    assert not has_utf8_name(found) and has_utf8_name(tmp_path / "cafe.wav")
    assert display_path(found).endswith("caf\\xe9.wav")
    assert display_path(found).encode("utf-8")
