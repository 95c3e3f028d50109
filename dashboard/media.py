"""An event's audio and spectrogram, read only from stored recordings inside the audio roots.

``/media/event/<detection_id>.wav`` serves the event with a few seconds of context. The file
is found through the database (never from a path in the request), and its resolved path must
lie inside one of the configured audio roots (``RANAWATCH_AUDIO_ROOTS``), so neither a crafted
URL nor a stored path with ``..`` or a link reaches any other file.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

import flask
import numpy as np
import soundfile

from core.audio.io import load_audio, read_info
from core.errors import RanaWatchError
from dashboard import data
from db.dashboard_events import EventAudio, event_audio

logger = logging.getLogger(__name__)

ROOTS_KEY = "RANAWATCH_AUDIO_ROOTS"
CONTEXT_S = 3.0
MAX_CLIP_S = 120.0


class MediaRefused(Exception):
    """The event's audio cannot be served; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Clip:
    """Samples of an event with context: mono float32, starting ``offset_s`` into the file."""

    samples: np.ndarray
    samplerate_hz: int
    offset_s: float
    event: EventAudio


def inside_roots(path: str | Path, roots: list[Path]) -> Path | None:
    """``path`` resolved (links followed), if it is a file inside one of ``roots``."""
    try:
        target = Path(path).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not target.is_file():
        return None
    for root in roots:
        if target.is_relative_to(Path(root).resolve()):
            return target
    return None


def load_clip(detection_id: int, context_s: float = CONTEXT_S) -> Clip:
    """The event's audio with ``context_s`` seconds either side.

    Raises
    ------
    MediaRefused
        404: no such event or the file is gone; 403: the file is outside the audio roots;
        503: the database cannot be read; 422: the file cannot be decoded.
    """
    try:
        with data.reading() as session:
            event = event_audio(session=session, detection_id=detection_id)
    except data.Unavailable as exc:
        raise MediaRefused(str(exc), 503) from exc
    if event is None:
        raise MediaRefused(f"no detection {detection_id}", 404)
    roots = flask.current_app.config.get(ROOTS_KEY, [])
    target = inside_roots(event.path, roots)
    if target is None:
        if not roots:
            raise MediaRefused("no audio roots are configured (RANAWATCH_AUDIO_ROOTS)", 403)
        if not Path(event.path).exists():
            raise MediaRefused(f"the recording of detection {detection_id} is gone", 404)
        logger.warning("refused audio outside the audio roots: %s", event.path)
        raise MediaRefused("the recording is outside the audio roots", 403)
    context_s = float(np.clip(context_s, 0.0, 30.0))
    start = max(0.0, event.start_s - context_s)
    length = min(event.end_s + context_s - start, MAX_CLIP_S)
    try:
        info = read_info(target)
        samples = load_audio(target, start, length, mono=True)
    except (RanaWatchError, ValueError) as exc:
        raise MediaRefused(f"cannot read the recording: {exc}", 422) from exc
    return Clip(samples, info.samplerate_hz, start, event)


def serve_event_audio(detection_id: int) -> flask.Response:
    """The event's audio as a 16-bit WAV (the ``/media/event/<id>.wav`` route)."""
    context = flask.request.args.get("context", type=float, default=CONTEXT_S)
    try:
        clip = load_clip(detection_id, context)
    except MediaRefused as exc:
        return flask.Response(f"{exc}\n", status=exc.status, mimetype="text/plain")
    buffer = io.BytesIO()
    soundfile.write(buffer, clip.samples, clip.samplerate_hz, format="WAV", subtype="PCM_16")
    return flask.Response(buffer.getvalue(), mimetype="audio/wav")


def init_media(server: flask.Flask, roots: list[Path]) -> None:
    """Add the media route to ``server``, serving from ``roots`` only."""
    server.config[ROOTS_KEY] = [Path(r) for r in roots]
    server.add_url_rule(
        "/media/event/<int:detection_id>.wav", "ranawatch_event_audio", serve_event_audio
    )


def power_spectrogram(
    clip: Clip, *, window_s: float = 0.064
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(power_db, times_s, freqs_hz)`` of the clip; times in seconds of the recording."""
    from scipy.signal import spectrogram

    nperseg = max(64, int(clip.samplerate_hz * window_s))
    if len(clip.samples) < nperseg:
        nperseg = max(8, len(clip.samples))
    freqs, times, power = spectrogram(
        clip.samples, fs=clip.samplerate_hz, nperseg=nperseg, noverlap=nperseg * 3 // 4
    )
    return 10 * np.log10(power + 1e-12), times + clip.offset_s, freqs
