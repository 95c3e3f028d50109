"""Model versions: registered with what decides their scores, found by ``NAME:VERSION``.

A detect run registers its model version (:func:`register_model_version`) with the settings
that decide its scores (:func:`model_settings`); reports find a version by ``NAME:VERSION``
(split here and nowhere else, :func:`split_model_tag`) and read its decision rule and band.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from core.errors import ConfigError
from core.model.card import ModelCard
from db import crud
from db.models import DetectionRun, ModelVersion, Recording, RecordingStatus

#: What, besides the checkpoint, decides a model's scores: stored with its version.
SCORE_SETTINGS = frozenset({"model", "frontend", "decision", "positive_labels", "negative_label"})


def model_settings(card: ModelCard, hop_s: float) -> dict[str, Any]:
    """What decides the scores of a card run every ``hop_s`` seconds, as stored JSON."""
    return card.model_dump(mode="json", include=set(SCORE_SETTINGS)) | {"hop_s": hop_s}


def register_model_version(
    *, session: Session, card: ModelCard, checkpoint_sha256: str, hop_s: float
) -> ModelVersion:
    """The version of this card and checkpoint, registered when new, checked when stored.

    Parameters
    ----------
    card
        Name, version, labels and the settings that decide the scores.
    checkpoint_sha256
        The checkpoint file's hash (part of the version's identity).
    hop_s
        Seconds between window starts: part of the stored settings.

    Raises
    ------
    ConfigError
        The version is stored with other labels or settings: results under one version must
        come from one configuration (a trained model also stores how it was trained; only
        what decides the scores must agree).
    """
    settings = model_settings(card, hop_s)
    version = crud.get_or_create_model_version(
        session=session,
        name=card.name,
        version=card.version,
        checkpoint_sha256=checkpoint_sha256,
        labels=list(card.labels),
        settings=settings,
    )
    stored = {key: version.settings.get(key) for key in settings}
    if version.labels != list(card.labels) or stored != settings:
        raise ConfigError(
            f"model {card.name} {card.version} is stored with other settings "
            f"(labels, front end, decision or hop_s) than this run uses; give the model card a "
            f"new version to run these settings beside the stored results"
        )
    return version


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
        # Per version, newest first: does one of the sites' recordings have a finished run
        # of it? (A join read the runs in table order until it met one of the newest
        # version's: 0.6 s on a season with two versions.)
        finished_here = sa.exists().where(
            Recording.site_id.in_(sites),  # type: ignore[union-attr]
            sa.exists()
            .where(
                DetectionRun.recording_id == Recording.id,
                DetectionRun.model_version_id == ModelVersion.id,
                DetectionRun.status == RecordingStatus.DONE,
            )
            .correlate_except(DetectionRun),
        )
        ran = session.exec(
            select(ModelVersion).where(finished_here).order_by(ModelVersion.id.desc())  # type: ignore[union-attr]
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
