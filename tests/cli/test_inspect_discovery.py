"""``ranawatch inspect`` finds the files ingest finds, and never opens a special file."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from core.audio.files import find_audio_files
from tests.audiomoth_factory import Moth, write_audiomoth_wav


def _run(*args: str) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(app, ["inspect", "--json", *args])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines


def test_a_folder_lists_what_ingest_would_take(tmp_path: Path) -> None:
    write_audiomoth_wav(tmp_path / "20240501_043015.WAV", "1.8.0", Moth(), frames=2400)
    (tmp_path / "._20240501_043015.WAV").write_bytes(b"\x00\x05\x16\x07 macOS fork")
    os.mkfifo(tmp_path / "pipe.wav")
    code, records = _run(str(tmp_path))
    assert [Path(r["path"]).name for r in records] == ["20240501_043015.WAV"]
    assert [Path(p).name for p in find_audio_files([tmp_path]).files] == ["20240501_043015.WAV"]
    assert code == 0


def test_a_named_pipe_given_by_name_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "x.wav"
    os.mkfifo(pipe)
    good = write_audiomoth_wav(tmp_path / "20240501_043015.WAV", "1.8.0", Moth(), frames=2400)
    out: dict[str, tuple[int, list[dict]]] = {}
    runner = threading.Thread(target=lambda: out.update(r=_run(str(pipe), str(good))), daemon=True)
    runner.start()
    runner.join(timeout=30)
    assert not runner.is_alive(), "inspect blocked on a named pipe"
    code, (first, second) = out["r"]
    assert code == 1 and not first["ok"] and "named pipe" in first["error"]
    assert second["ok"]
