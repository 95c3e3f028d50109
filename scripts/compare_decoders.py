"""Compare the samples of two RanaWatch readers on real recordings and damaged variants.

Used once, before the hand-written WAV decoder was replaced by libsndfile (issue 8): the old
reader is taken from git (``--old-rev``), the new one is the working tree. Every readable
file of ``../shared/realaudio`` is read as is and in variants (cut at several points, lying
RIFF sizes, a ``data`` size of 0xFFFFFFFF, odd chunks without their pad byte before and after
the audio), in every sample format, and as a 60 s 384 kHz stream. Both readers must give the
same header fields, the same errors, and identical float32 samples (whole file, blocks, mono).

    PYTHONPATH=$PWD .venv/bin/python scripts/compare_decoders.py --old-rev 24c9a13
"""

from __future__ import annotations

import argparse
import importlib
import logging
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.audio import io as new  # noqa: E402
from tests.factories import guano_chunk, write_wav  # noqa: E402

FIELDS = ("samplerate_hz", "channels", "frames", "declared_frames", "truncated", "data_offset")
FORMATS = ("PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW")


def old_reader(rev: str, folder: Path):
    package = folder / "olddec"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("io", "riff", "wavformat"):
        text = subprocess.run(
            ["git", "show", f"{rev}:core/audio/{name}.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        text = text.replace("core.audio.riff", "olddec.riff").replace(
            "core.audio.wavformat", "olddec.wavformat"
        )
        (package / f"{name}.py").write_text(text)
    sys.path.insert(0, str(folder))
    return importlib.import_module("olddec.io")


def read(reader, path: Path):
    try:
        info = reader.read_info(path)
        return info, reader.load_audio(path), list(reader.iter_blocks(path, 4_999, mono=True))
    except Exception as exc:  # noqa: BLE001 - the error type is what is compared
        return type(exc).__name__, None, None


def variants(source: Path, out: Path):
    data = source.read_bytes()
    yield source
    samples = new.load_audio(source)
    info = new.read_info(source)
    rate = info.samplerate_hz
    start, end = info.data_offset, info.data_offset + info.frames * info.block_align

    def put(name: str, content: bytes) -> Path:
        path = out / f"{source.stem}.{name}.wav"
        path.write_bytes(content)
        return path

    for cut in sorted({start + 1, start + info.block_align - 1, (start + end) // 2, end - 1}):
        yield put(f"cut{cut}", data[:cut])
    for size in (0, 4, 0xFFFFFFFF):
        yield put(f"riff{size}", data[:4] + size.to_bytes(4, "little") + data[8:])
    yield put("dataFFFF", data[: start - 4] + b"\xff\xff\xff\xff" + data[start:])
    tail = b"junk\x03\x00\x00\x00abc" + b"guan\x05\x00\x00\x00GUANO"
    yield put("oddtail", data[:end] + tail)
    yield write_wav(
        out / f"{source.stem}.oddbefore.wav",
        samples,
        rate,
        chunks_before_data=[(b"LIST", b"INFOabc")],
        pad_odd_chunks=False,
    )
    for fmt in FORMATS:
        for ext in (False, True):
            yield write_wav(
                out / f"{source.stem}.{fmt}{'x' if ext else ''}.wav",
                samples,
                rate,
                sample_format=fmt,
                extensible=ext,
                chunks_after_data=[guano_chunk("GUANO|Version:1.0")],
                pad_odd_chunks=False,
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-rev", required=True)
    parser.add_argument("--realaudio", type=Path, default=ROOT.parent / "shared" / "realaudio")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        old = old_reader(args.old_rev, tmp_path)
        work = tmp_path / "variants"
        work.mkdir()
        paths = sorted(p for p in args.realaudio.iterdir() if p.suffix.lower() == ".wav")
        checked, same, differ, new_only = 0, 0, [], []
        long_source = next(p for p in paths if p.name.endswith("Railway_Pond-20231208_103700.wav"))
        x = new.load_audio(long_source, mono=True)
        stream = np.tile(x, -(-60 * 384_000 // len(x)))[: 60 * 384_000]
        extra = [
            write_wav(work / "stream384k.wav", stream, 384_000),
            write_wav(
                work / "stream384k24.wav",
                stream,
                384_000,
                sample_format="PCM_24",
                chunks_before_data=[(b"LIST", b"INFOabc")],
                pad_odd_chunks=False,
            ),
        ]
        for source in paths:
            try:
                new.read_info(source)
                todo = list(variants(source, work))
            except Exception:  # noqa: BLE001 - unreadable sources are compared as they are
                todo = [source]
            for path in todo + (extra if source == paths[-1] else []):
                checked += 1
                a, b = read(old, path), read(new, path)
                if a[0] == "UnsupportedFormatError" and a[0] != b[0]:
                    now = b[0] if isinstance(b[0], str) else f"reads {b[0].sample_format}"
                    new_only.append(f"{path.name}: old {a[0]}, new {now}")
                    continue
                ok = (
                    (a[0] == b[0])
                    if isinstance(a[0], str)
                    else (
                        not isinstance(b[0], str)
                        and all(getattr(a[0], f) == getattr(b[0], f) for f in FIELDS)
                        and a[1].shape == b[1].shape
                        and np.array_equal(a[1], b[1])
                        and len(a[2]) == len(b[2])
                        and all(np.array_equal(p, q) for p, q in zip(a[2], b[2], strict=True))
                    )
                )
                if ok:
                    same += 1
                else:
                    differ.append(f"{path.name}: old {a[0]!r} new {b[0]!r}")
                path.unlink(missing_ok=True) if path.parent == work else None
    print(f"{checked} files compared: {same} identical (header fields, errors, samples)")
    print(f"{len(new_only)} refused as unsupported before, now:", *new_only, sep="\n  ")
    print(f"{len(differ)} differ:", *differ, sep="\n  ")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
