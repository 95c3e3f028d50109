"""Finding WAV files, telling finished copies from running ones, hashing by content."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from core.audio.files import find_wav_files, sha256_of, wait_until_settled
from core.errors import ConfigError


def test_finds_wav_files_recursively_once(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".Trashes").mkdir()
    for name in ("a/x.WAV", "a/b/y.wav", "a/b/z.Wav", "top.wav"):
        (tmp_path / name).write_bytes(b"RIFF")
    for name in ("a/CONFIG.TXT", "a/._x.WAV", ".Trashes/old.wav", "a/x.wav.part"):
        (tmp_path / name).write_bytes(b"not a recording")
    found = find_wav_files([tmp_path, tmp_path / "a"])  # nested roots: each file once
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a/b/y.wav",
        "a/b/z.Wav",
        "a/x.WAV",
        "top.wav",
    ]
    assert all(p.is_absolute() for p in found)


def test_a_missing_root_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is the drive mounted"):
        find_wav_files([tmp_path / "unmounted"])


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
