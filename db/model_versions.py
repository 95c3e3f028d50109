"""Model versions as reports see them: found by ``NAME:VERSION``, their decision rule, their band.

``NAME:VERSION`` is split here and nowhere else (:func:`split_model_tag`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from core.errors import ConfigError
from db import crud
from db.models import DetectionRun, ModelVersion, Recording, RecordingStatus


def model_tag(model_version: ModelVersion) -> str:
    """``NAME:VERSION`` of a model version."""
    return f"{model_version.name}:{model_version.version}"


def split_model_tag(tag: str) -> tuple[str, str | None]:
    """``NAME:VERSION`` -> ``(NAME, VERSION)``; ``NAME`` alone -> ``(NAME, None)``.

    The version is what follows the last colon, so a name may hold colons (``hf:org/m:1.0``).
    """
    name, sep, ver = tag.strip().rpartition(":")
    return (name, ver or None) if sep else (ver, None)


def resolve_model_version(
    *,
    session: Session,
    model: str | None = None,
    site_id: int | None = None,
    site_ids: Sequence[int] | None = None,
) -> ModelVersion:
    """The model version a report is for.

    Parameters
    ----------
    model
        ``NAME:VERSION`` or ``NAME``; several checkpoints under one name and version: the
        newest registered. ``None``: the newest model version with finished runs on the
        site's recordings (or on any of ``site_ids``'), else the newest registered.

    Raises
    ------
    ConfigError
        ``model`` names no registered version, or no model has been run at all.
    """
    if model:
        name, ver = split_model_tag(model)
        found = crud.find_model_versions(session=session, name=name, version=ver)
        if not found:
            known = ", ".join(
                sorted({model_tag(m) for m in crud.find_model_versions(session=session)})
            )
            raise ConfigError(
                f"no model version {model!r} in the database; known: {known or 'none'}"
            )
        return found[0]
    sites = [site_id] if site_id is not None else list(site_ids or [])
    if sites:
        ran = session.exec(
            select(ModelVersion)
            .join(DetectionRun, DetectionRun.model_version_id == ModelVersion.id)
            .join(Recording, Recording.id == DetectionRun.recording_id)
            .where(
                Recording.site_id.in_(sites),  # type: ignore[union-attr]
                DetectionRun.status == RecordingStatus.DONE,
            )
            .order_by(ModelVersion.id.desc())  # type: ignore[union-attr]
        ).first()
        if ran is not None:
            return ran
    newest = crud.find_model_versions(session=session)
    if not newest:
        raise ConfigError(
            "no model version in the database: score the recordings first "
            "(`ranawatch ingest FOLDER --checkpoint PATH`)"
        )
    return newest[0]


def decision_of(model_version: ModelVersion) -> tuple[list[str], dict[str, float], str]:
    """Target labels, thresholds and the decision rule in words, from a model version.

    Reads the model card stored in ``model_versions.settings`` (``positive_labels``,
    ``negative_label``, ``decision``); without one, every label but ``Negative`` is a target
    and the rule is the original argmax.
    """
    settings: dict[str, Any] = dict(model_version.settings or {})
    labels = list(model_version.labels)
    negative = settings.get("negative_label", "Negative")
    targets = list(settings.get("positive_labels") or [x for x in labels if x != negative])
    decision = dict(settings.get("decision") or {})
    if decision.get("rule") == "threshold":
        default = float(decision.get("default_threshold", 0.5))
        given = dict(decision.get("thresholds") or {})
        thresholds = {label: float(given.get(label, default)) for label in targets}
        rule = (
            "threshold: a window is positive for a target label whose score reaches its threshold"
        )
    else:
        thresholds = {}
        rule = "argmax (the original rule): a window is positive when a target label scores highest"
    rule += (
        "; consecutive positive windows of one label form an event; a recording is Positive "
        "when it has at least one event"
    )
    return targets, thresholds, rule


def model_band_hz(model_version: ModelVersion) -> tuple[float, float]:
    """The frequency band the model listens to: 0 Hz to half its input sample rate."""
    frontend = dict((model_version.settings or {}).get("frontend") or {})
    return 0.0, float(frontend.get("samplerate_hz", 16_000)) / 2
