"""The text a recording's header carries: ``ICMT``/``IART`` (or FLAC tags) and GUANO.

One place reads it for :func:`core.metadata.recording.read_metadata`, and undoes what other
tools did to it: OpenSoundscape rewrites ``ICMT`` as ``opso_metadata{...}`` JSON that keeps
the original comment verbatim under ``"comment"`` (and the artist under ``"artist"``); that
original is what the recorder wrote, so it is the comment read here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from core.audio.decode import flac_tags
from core.audio.riff import open_regular, read_riff
from core.metadata.guano import parse_guano

_OPSO = "opso_metadata"


@dataclass
class HeaderText:
    """Comment, artist and GUANO of one file, and notes on how they were read."""

    comment: str | None = None
    artist: str | None = None
    guano: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read_header_text(path: Path) -> HeaderText:
    """Read the comment, artist and GUANO of a WAV or FLAC file (no samples).

    Raises
    ------
    AudioError
        Any subclass :func:`core.audio.riff.read_riff` raises (not a WAV, not a file, ...).
    """
    with open_regular(path) as fh:
        magic = fh.read(4)
    text = HeaderText()
    if magic == b"fLaC":
        text.comment, text.artist = flac_tags(path)
    else:
        riff = read_riff(path)
        fields = riff.info_fields()
        text.comment, text.artist = fields.get("ICMT"), fields.get("IART")
        guano_chunk = riff.find("guan")
        if guano_chunk is not None:
            text.guano = parse_guano(riff.read(guano_chunk))
    if text.comment is not None and text.comment.startswith(_OPSO):
        _unwrap_opso(text)
    return text


def _unwrap_opso(text: HeaderText) -> None:
    try:
        wrapped = json.loads(text.comment[len(_OPSO) :])  # type: ignore[index]
    except ValueError:
        wrapped = None
    if not isinstance(wrapped, dict):
        text.notes.append("ICMT holds OpenSoundscape metadata that is not valid JSON: ignored")
        text.comment = None
        return
    original, artist = wrapped.get("comment"), wrapped.get("artist")
    text.comment = original.strip() or None if isinstance(original, str) else None
    if text.artist is None and isinstance(artist, str) and artist.strip():
        text.artist = artist.strip()
    kept = "the original comment kept in it was read" if text.comment else "it keeps no comment"
    text.notes.append(f"ICMT was rewritten by OpenSoundscape (opso_metadata JSON); {kept}")
