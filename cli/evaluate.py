"""``ranawatch evaluate``: how well a model does on labelled clips, and models compared.

``report`` scores a labelled datafile with one model and writes ``evaluation.json``,
``report.md`` and two PNGs (:mod:`core.training.report`); ``compare`` does it for several
models on the same set, side by side (:mod:`core.training.compare`); ``config`` prints the
settings. A model is a training run folder, a registered ``NAME:VERSION`` trained by
``ranawatch train run``, or ``--card`` with ``--checkpoint``. Exit status 1 when a model,
the datafile or the settings cannot be used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli import common

if TYPE_CHECKING:
    from core.model.card import ModelCard
    from core.training.config import EvaluationConfig

evaluate_app = typer.Typer(
    help="Evaluate models on labelled clips: metrics, operating points, review time, reports."
)

MODEL_HELP = (
    "Training run folder (model.yaml + model.pth) or registered NAME:VERSION "
    "(trained by ranawatch train run)."
)
DATAFILE_HELP = 'Labelled datafile, {"data": [{"wav", "labels", ...}]} (e.g. data/set1/test.json).'
CONFIG_OPTION = typer.Option(None, "--config", help="EvaluationConfig YAML.")
TARGET_OPTION = typer.Option(
    None, "--target-precision", help="Precision of the high-precision point (default 0.9)."
)
REVIEW_OPTION = typer.Option(
    None, "--review-s", help="Seconds a person reviews one detection (default 10)."
)
DEVICE_OPTION = typer.Option("cpu", "--device", help="auto, cpu or cuda.")
BATCH_OPTION = typer.Option(8, "--batch-size", min=1, help="Clips per forward pass.")
DATABASE_OPTION = typer.Option(
    None, "--database-url", metavar="URL", help="Where NAME:VERSION is looked up."
)


def register(app: typer.Typer) -> None:
    """Add the ``evaluate`` command group to the ``ranawatch`` app."""
    app.add_typer(evaluate_app, name="evaluate")


def summary_lines(report: dict) -> list[str]:
    """A few lines per positive label: AP, the card's threshold, best F1, high precision."""
    from core.training.report import fmt as _fmt

    lines = []
    target = report["settings"]["target_precision"]
    for label, points in report["operating_points"].items():
        m = report["clips"]["per_label"][label]
        lines.append(
            f"{label}: AP {_fmt(m['average_precision'])}, ROC AUC {_fmt(m['roc_auc'])} "
            f"({m['positives']} of {m['clips']} clips)"
        )
        for name, p in (
            ("at threshold", points["at_threshold"]),
            ("best F1", points["best_f1"]),
            (f"precision >= {target:g}", points["high_precision"]),
        ):
            if p is None:
                lines.append(f"  {name}: no threshold reaches it")
                continue
            per_night, minutes = p["false_positives_per_night"], p["review_min_per_night"]
            cost = "" if per_night is None else f", {per_night:.2f} false positives per night"
            cost += "" if minutes is None else f", {minutes:.1f} review min per night"
            lines.append(
                f"  {name} {p['threshold']:.3f}: precision {_fmt(p['precision'])}, "
                f"recall {_fmt(p['recall'])}, F1 {_fmt(p['f1'])}{cost}"
            )
        nights = report["nights"]
        if nights is not None:
            n = nights["per_label"][label]
            lines.append(
                f"  site-nights ({nights['clips']}): precision {_fmt(n['precision'])}, "
                f"recall {_fmt(n['recall'])} at the card's threshold"
            )
    if not report["operating_points"]:
        lines.append("no positive clip of a positive label in the set: AP and sweeps undefined")
    if not report["counts"]["site_nights"]:
        lines.append("no nights in the set (entries without night): per-night figures left out")
    review_s = report["settings"]["review_s_per_detection"]
    lines.append(f"(review time assumed: {review_s:g} s per detection)")
    return lines


def evaluation_config(
    config: Path | None, target: float | None, review_s: float | None
) -> EvaluationConfig:
    """The EvaluationConfig from ``--config``, with the command-line values over it.

    Raises
    ------
    ConfigError
        The file or a value is invalid.
    """
    from pydantic import ValidationError

    from core.errors import ConfigError, describe_validation_error
    from core.training.config import EvaluationConfig, load_config

    cfg = load_config(EvaluationConfig, config)
    update = {"target_precision": target, "review_s_per_detection": review_s}
    try:
        return EvaluationConfig.model_validate(
            cfg.model_dump() | {k: v for k, v in update.items() if v is not None}
        )
    except ValidationError as exc:
        raise ConfigError(f"invalid option: {describe_validation_error(exc)}") from exc


def resolve_model(spec: str, database_url: str | None = None) -> tuple[ModelCard, Path]:
    """``(card, checkpoint)`` of a run folder or a registered ``NAME:VERSION``.

    Raises
    ------
    ConfigError, CheckpointError
        Neither a run folder nor a registered version whose run folder is known.
    """
    from core.errors import CheckpointError, ConfigError
    from core.training.evaluate import load_run

    path = Path(spec)
    if path.exists() or ":" not in spec:
        return load_run(path)
    from cli import common
    from db.model_versions import resolve_model_version
    from db.session import get_engine, session_scope
    from flows.train import RUN_DIR_KEY

    url = common.database_url(database_url)
    with session_scope(get_engine(url)) as session:
        version = resolve_model_version(session=session, model=spec)
        run_dir = (version.settings or {}).get("training", {}).get(RUN_DIR_KEY)
        sha256 = version.checkpoint_sha256
    if not run_dir:
        raise ConfigError(
            f"model version {spec}: the database does not say where its checkpoint is (it "
            "was not registered by ranawatch train run); give its run folder or "
            "--card/--checkpoint"
        )
    card, checkpoint = load_run(run_dir)
    if card.checkpoint_sha256 != sha256:
        raise CheckpointError(
            f"model version {spec}: {run_dir} now holds another model (SHA-256 "
            f"{card.checkpoint_sha256} instead of {sha256}); give the run folder of that version"
        )
    return card, checkpoint


def _models(
    specs: list[str], cards: list[Path], checkpoints: list[Path], database_url: str | None
) -> list[tuple[str, ModelCard, Path]]:
    """``(short name, card, checkpoint)`` of every model given.

    Raises
    ------
    ConfigError, CheckpointError
        A model cannot be found, or the cards and checkpoints do not pair up.
    """
    from core.errors import ConfigError
    from core.model.card import load_model_card

    if len(cards) != len(checkpoints):
        raise ConfigError("give one --checkpoint for each --card (in the same order)")
    models = [(spec, *resolve_model(spec, database_url)) for spec in specs]
    pairs = zip(cards, checkpoints, strict=True)
    # str: a card may also be a preset name (rana_draytonii)
    models += [(str(ckpt), load_model_card(str(card)), ckpt) for card, ckpt in pairs]
    # short names for tables and legends: a run folder's name, NAME:VERSION, a checkpoint's
    # file name; the whole argument where two would read alike
    short = [Path(spec).name if Path(spec).exists() else spec for spec, _, _ in models]
    if len(set(short)) < len(short):
        short = [spec for spec, _, _ in models]
    return [(name, card, ckpt) for name, (_, card, ckpt) in zip(short, models, strict=True)]


def _score(
    card: ModelCard,
    checkpoint: Path,
    datafile: Path,
    cfg: EvaluationConfig,
    device: str,
    batch_size: int,
) -> dict:
    """Evaluate one model with a progress bar of the clips scored."""
    from rich.console import Console
    from rich.progress import Progress

    from core.training.evaluate import evaluate_checkpoint

    console = Console(stderr=True)  # the summary goes to stdout, uncluttered
    with Progress(transient=True, console=console, disable=not console.is_terminal) as progress:
        bar = progress.add_task(f"scoring with {card.name} {card.version}", total=None)

        def update(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        kw = {"config": cfg, "device": device, "batch_size": batch_size, "progress": update}
        return evaluate_checkpoint(card, checkpoint, datafile, **kw)


@evaluate_app.command("report")
def report_command(
    datafile: Path = typer.Argument(..., help=DATAFILE_HELP),
    out: Path = typer.Option(..., "--out", help="Folder for report.md, evaluation.json, PNGs."),
    model: str | None = typer.Option(None, "--model", help=MODEL_HELP),
    card: Path | None = typer.Option(None, "--card", help="Model card YAML (with --checkpoint)."),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="Checkpoint (.pth)."),
    config: Path | None = CONFIG_OPTION,
    target_precision: float | None = TARGET_OPTION,
    review_s: float | None = REVIEW_OPTION,
    device: str = DEVICE_OPTION,
    batch_size: int = BATCH_OPTION,
    database_url: str | None = DATABASE_OPTION,
) -> None:
    """Evaluate one model on DATAFILE and write the report into --out."""
    from core.errors import ConfigError
    from core.training.report import write_evaluation

    with common.user_errors(out):
        if (model is None) == (card is None and checkpoint is None):
            raise ConfigError("give either --model, or --card and --checkpoint")
        cfg = evaluation_config(config, target_precision, review_s)
        ((_, model_card, ckpt),) = _models(
            [model] if model else [],
            [card] if card else [],
            [checkpoint] if checkpoint else [],
            database_url,
        )
        report = _score(model_card, ckpt, datafile, cfg, device, batch_size)
        files = write_evaluation(report, out)
    for line in summary_lines(report):
        typer.echo(line)
    typer.echo(f"report: {files.markdown}")


@evaluate_app.command("compare")
def compare_command(
    datafile: Path = typer.Argument(..., help=DATAFILE_HELP),
    out: Path = typer.Option(..., "--out", help="Folder for comparison.md/.json, PNGs, reports."),
    models: list[str] = typer.Option([], "--model", help=MODEL_HELP + " Repeatable."),
    cards: list[Path] = typer.Option([], "--card", help="Model card YAML (repeatable)."),
    checkpoints: list[Path] = typer.Option(
        [], "--checkpoint", help="Checkpoint of each --card, in the same order."
    ),
    config: Path | None = CONFIG_OPTION,
    target_precision: float | None = TARGET_OPTION,
    review_s: float | None = REVIEW_OPTION,
    device: str = DEVICE_OPTION,
    batch_size: int = BATCH_OPTION,
    database_url: str | None = DATABASE_OPTION,
) -> None:
    """Evaluate two or more models on DATAFILE and write them side by side into --out."""
    from core.errors import ConfigError
    from core.training.compare import write_comparison

    with common.user_errors(out):
        cfg = evaluation_config(config, target_precision, review_s)
        found = _models(models, cards, checkpoints, database_url)
        if len(found) < 2:
            raise ConfigError("give at least two models (--model, or --card with --checkpoint)")
        reports = [_score(c, ckpt, datafile, cfg, device, batch_size) for _, c, ckpt in found]
        names = [spec for spec, _, _ in found]
        files = write_comparison(reports, names, out)
    for name, report in zip(names, reports, strict=True):
        typer.echo(f"== {name} ({report['model']['name']} {report['model']['version']})")
        for line in summary_lines(report):
            typer.echo(line)
    typer.echo(f"comparison: {files.markdown}")


@evaluate_app.command("config")
def config_command() -> None:
    """Print the default EvaluationConfig as YAML (a starting point for --config)."""
    from core.training.config import EvaluationConfig, to_yaml

    typer.echo(to_yaml(EvaluationConfig()), nl=False)
