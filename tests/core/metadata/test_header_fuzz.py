"""Mangled real headers: read_info, read_metadata, decoding and inspect give a result or a
typed RanaWatch error, never another exception and never a hang.

Hypothesis damages the first few KB of the real recordings of ../shared/realaudio: bits
flipped, bytes overwritten, inserted or deleted, 32-bit fields set to 0 or 0xFFFFFFFF,
clock text at the calendar's edges, the file cut short. Every example runs under an alarm,
so a reader that blocks or loops fails the test instead of stalling the suite.
"""

from __future__ import annotations

import contextlib
import json
import signal
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.inspect import _strict, inspect_file
from core.audio.io import AudioInfo, load_audio, read_info
from core.errors import RanaWatchError
from core.metadata.recording import RecordingMetadata, read_metadata
from tests.conftest import REALAUDIO

pytestmark = pytest.mark.realdata

HEAD = 4096  # damage stays within the headers (fmt, LIST/INFO, guan of short files)
EXAMPLE_TIMEOUT_S = 20
SOURCES = sorted(p for p in REALAUDIO.glob("*") if p.suffix.lower() == ".wav")

_EDIT = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, HEAD - 1), st.integers(0, 7)),
    st.tuples(st.just("put"), st.integers(0, HEAD - 1), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("insert"), st.integers(0, HEAD - 1), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.integers(0, HEAD - 1), st.integers(1, 8)),
    st.tuples(
        st.just("put"),
        st.integers(0, HEAD // 4).map(lambda i: 4 * i),
        st.sampled_from([b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x01\x00\x00\x00"]),
    ),
    st.tuples(
        st.just("put"),
        st.integers(0, HEAD - 1),
        st.sampled_from([b"01/01/0001", b"31/12/9999", b"0001-01-01", b"9999-12-31", b"UTC+14"]),
    ),
)


def mangle(data: bytes, edits: list[tuple], cut: int | None) -> bytes:
    buf = bytearray(data)
    for kind, at, arg in edits:
        at = min(at, len(buf))
        if kind == "flip" and at < len(buf):
            buf[at] ^= 1 << arg
        elif kind == "put":
            buf[at : at + len(arg)] = arg
        elif kind == "insert":
            buf[at:at] = arg
        elif kind == "delete":
            del buf[at : at + arg]
    return bytes(buf if cut is None else buf[:cut])


@contextlib.contextmanager
def alarm(seconds: int) -> Iterator[None]:
    def hang(signum: int, frame: object) -> None:
        raise TimeoutError(f"a reader took more than {seconds} s: it blocks or loops")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def result_or_typed_error(call, *args, **kwargs) -> object:
    try:
        return call(*args, **kwargs)
    except RanaWatchError as exc:
        assert str(exc), "a RanaWatch error always says what is wrong"
        return exc


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "mangled.wav"


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    # (0, 0) without the folder: the realaudio_dir fixture then skips (fails under CI).
    which=st.integers(0, max(len(SOURCES) - 1, 0)),
    edits=st.lists(_EDIT, min_size=1, max_size=6),
    cut=st.none() | st.integers(0, 2 * HEAD),
)
def test_mangled_real_headers_give_a_result_or_a_typed_error(
    realaudio_dir: Path, scratch: Path, which: int, edits: list[tuple], cut: int | None
) -> None:
    scratch.write_bytes(mangle(SOURCES[which].read_bytes(), edits, cut))
    with alarm(EXAMPLE_TIMEOUT_S), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        info = result_or_typed_error(read_info, scratch)
        meta = result_or_typed_error(read_metadata, scratch)
        placed = result_or_typed_error(read_metadata, scratch, default_tz="Pacific/Kiritimati")
        if isinstance(info, AudioInfo):
            samples = result_or_typed_error(load_audio, scratch, 0.0, min(info.duration_s, 0.5))
            assert not hasattr(samples, "shape") or samples.shape[0] <= info.frames
        record = inspect_file(scratch)
    assert isinstance(meta, RecordingMetadata | RanaWatchError)
    assert isinstance(placed, RecordingMetadata | RanaWatchError)
    assert record["ok"] is (isinstance(info, AudioInfo) and isinstance(meta, RecordingMetadata))
    assert record["ok"] or record["error"]
    line = json.dumps(_strict(record), ensure_ascii=False, allow_nan=False)
    assert json.loads(line)["path"] == str(scratch)
