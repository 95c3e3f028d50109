"""read_info and load_audio on every real recording in ../shared/realaudio (see MANIFEST.tsv)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.audio.io import iter_blocks, load_audio, read_info
from core.errors import AudioError, EmptyFileError, TruncatedFileError

pytestmark = pytest.mark.realdata

# Files that must be refused, by the end of their name (the MANIFEST's notes say why).
REFUSED: dict[str, tuple[type[AudioError], str]] = {
    "__EMPTY.WAV": (EmptyFileError, "empty"),
    "__empty_2c.wav": (TruncatedFileError, "116 bytes"),
}


def _refusal(name: str) -> tuple[type[AudioError], str] | None:
    return next((v for suffix, v in REFUSED.items() if name.endswith(suffix)), None)


def _readable(manifest: dict[str, dict[str, str]]) -> list[str]:
    return [name for name in manifest if _refusal(name) is None]


def row_chunk_size(row: dict[str, str], chunk_id: str) -> int:
    """The size of ``chunk_id`` from the MANIFEST notes (``chunks=fmt (16),data(480000)``)."""
    listing = row["notes"].split("chunks=")[1].split(";")[0]
    for item in listing.split(","):
        cid, size = item.strip().rstrip(")").split("(")
        if cid.strip() == chunk_id:
            return int(size)
    raise KeyError(chunk_id)


def test_manifest_lists_every_file(realaudio_dir: Path, manifest: dict) -> None:
    on_disk = {p.name for p in realaudio_dir.iterdir() if p.suffix.lower() == ".wav"}
    assert on_disk == set(manifest)
    assert sum(_refusal(name) is not None for name in manifest) == len(REFUSED)


def test_header_matches_the_manifest(realaudio_dir: Path, manifest: dict) -> None:
    wrong = []
    for name in _readable(manifest):
        row, info = manifest[name], read_info(realaudio_dir / name)
        if info.sample_format == "MS_ADPCM":
            continue  # its manifest row gives the fact chunk, not the decoded blocks
        got = (info.samplerate_hz, info.channels, info.bits_per_sample, info.truncated)
        want = (int(row["sample_rate"]), int(row["channels"]), int(row["bits"]), False)
        # MANIFEST durations are rounded to 3-4 decimals.
        if got != want or abs(info.duration_s - float(row["duration_s"])) > 6e-4:
            wrong.append(
                f"{name}: got {got} {info.duration_s} s, manifest {want} {row['duration_s']}"
            )
    assert not wrong, "\n".join(wrong)


def test_samples_match_libsndfile_reading_the_file_itself(
    realaudio_dir: Path, manifest: dict
) -> None:
    for name in _readable(manifest):
        path = realaudio_dir / name
        ours = load_audio(path)
        theirs = sf.read(path, dtype="float32", always_2d=True)[0]
        assert ours.shape == theirs.shape, name
        np.testing.assert_array_equal(ours, theirs, err_msg=name)


def test_plain_pcm_samples_match_the_standard_library_wave_module(
    realaudio_dir: Path, manifest: dict
) -> None:
    checked = 0
    for name in _readable(manifest):
        path = realaudio_dir / name
        info = read_info(path)
        if (info.format_tag, info.sample_format) != (1, "PCM_16") or name.endswith(
            "soundscape.wav"
        ):
            continue  # wave reads plain PCM only (soundscape.wav is WAVE_FORMAT_EXTENSIBLE)
        with wave.open(str(path)) as w:
            raw = w.readframes(w.getnframes())
        expected = np.frombuffer(raw, "<i2").reshape(-1, info.channels) / np.float32(2**15)
        np.testing.assert_array_equal(load_audio(path), expected, err_msg=name)
        checked += 1
    assert checked >= 8


def test_ms_adpcm_recording_is_decoded(realaudio_dir: Path, manifest: dict) -> None:
    (name,) = [n for n in manifest if n.endswith("__wav_ms_adpcm.wav")]
    info = read_info(realaudio_dir / name)
    assert (info.sample_format, info.samplerate_hz, info.frames) == ("MS_ADPCM", 16_000, 16_192)
    samples = load_audio(realaudio_dir / name)
    assert samples.shape == (16_192, 1) and np.abs(samples).max() <= 1


@pytest.mark.parametrize(
    ("suffix", "sample_format", "format_tag"),
    [
        ("wav_double.wav", "DOUBLE", 3),  # 64-bit float with fact + PEAK chunks
        ("wav_pcm_24.wav", "PCM_24", 1),
        ("soundscape.wav", "PCM_16", 1),  # WAVE_FORMAT_EXTENSIBLE + fact
        ("Echometer.wav", "PCM_16", 1),  # guan + binary wamd after data
        ("AudiomothNoBatCalls.WAV", "PCM_16", 1),  # LIST before, unpadded odd guan after
        ("STEREO.WAV", "PCM_16", 1),  # LIST + id3 after data
    ],
)
def test_special_layouts(
    realaudio_dir: Path, manifest: dict, suffix: str, sample_format: str, format_tag: int
) -> None:
    (name,) = [n for n in manifest if n.endswith(suffix)]
    path = realaudio_dir / name
    info = read_info(path)
    assert (info.sample_format, info.format_tag) == (sample_format, format_tag)
    # The audio ends exactly where the data chunk says, before any trailing chunk.
    expected_bytes = int(row_chunk_size(manifest[name], "data"))
    assert info.frames * info.block_align == expected_bytes
    assert info.data_offset + expected_bytes <= path.stat().st_size


@pytest.mark.parametrize("suffix", sorted(REFUSED))
def test_refused_files_raise_a_named_error(
    realaudio_dir: Path, manifest: dict, suffix: str
) -> None:
    (name,) = [n for n in manifest if n.endswith(suffix)]
    error, match = REFUSED[suffix]
    with pytest.raises(error, match=match) as caught:
        read_info(realaudio_dir / name)
    assert name in str(caught.value)
    with pytest.raises(error):
        load_audio(realaudio_dir / name)


def test_blocks_of_a_field_recording_equal_load_audio(realaudio_dir: Path, manifest: dict) -> None:
    (name,) = [n for n in manifest if n.endswith("AUVIC_Railway_Pond-20231208_103700.wav")]
    path = realaudio_dir / name
    blocks = list(iter_blocks(path, 48_000 * 10 - 1, mono=True))
    assert len(blocks) == 4
    np.testing.assert_array_equal(np.concatenate(blocks), load_audio(path, mono=True))
    np.testing.assert_array_equal(
        load_audio(path, 12.5, 2.0, mono=True), np.concatenate(blocks)[600_000:696_000]
    )
