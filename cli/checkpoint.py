"""``ranawatch checkpoint``: what a checkpoint's tensors say, and a model card that fits it."""

from __future__ import annotations

from pathlib import Path

import typer

from cli import common
from core.model.card import ASTConfig, FrontendConfig, ModelCard, load_model_card


def checkpoint(
    file: Path = typer.Argument(..., help="AST checkpoint (.pth).", dir_okay=False),
    write_card: Path | None = typer.Option(
        None, "--write-card", help="Write a model card that fits this checkpoint to this YAML."
    ),
    name: str | None = typer.Option(None, "--name", help="Card name (default: the file stem)."),
    version: str = typer.Option("1.0", "--version", help="Card version."),
    labels: str | None = typer.Option(
        None,
        "--labels",
        help="Comma-separated labels in output order (default: the frog model's when there "
        "are two outputs, else class_0, class_1, ...). The last is the negative label when "
        "it is named Negative.",
    ),
    fstride: int = typer.Option(10, "--fstride", min=1, max=16, help="Frequency stride."),
    tstride: int = typer.Option(10, "--tstride", min=1, max=16, help="Time stride."),
    mel_bins: int = typer.Option(128, "--mel-bins", min=16, help="Mel bins of the front end."),
) -> None:
    """Show the architecture FILE's tensors imply (width, depth, heads, patches, outputs).

    Strides and mel bins cannot be read from tensors: give them when the model was not
    trained with the original 10 x 10 strides and 128 bins. With --write-card, also write a
    complete model card (architecture, labels, front end, decision rule, SHA-256).
    """
    try:
        with common.user_errors():
            # torch loads here, not when any other `ranawatch` command starts
            from core.model.architecture import card_model_section, describe_config, infer_shape
            from core.model.checkpoint import read_checkpoint
            from core.model.detector import inferred_config

            ckpt = read_checkpoint(file)
            shape = infer_shape(ckpt)
            base = ModelCard(
                name=name or file.stem,
                version=version,
                labels=_labels(labels, shape.label_dim, load_model_card()),
                frontend=FrontendConfig(num_mel_bins=mel_bins),
            )
            strides = base.model.model_copy(update={"fstride": fstride, "tstride": tstride})
            cfg = inferred_config(ckpt, base.model_copy(update={"model": strides}))
    except ValueError as exc:  # a card the labels given cannot make
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    prefix = "yes (saved from DataParallel)" if ckpt.had_module_prefix else "no"
    typer.echo(f"{file}")
    typer.echo(f"  sha256        {ckpt.sha256}")
    typer.echo(f"  tensors       {len(ckpt.state_dict)}, module. prefix: {prefix}")
    typer.echo(f"  architecture  {describe_config(cfg)}")
    typer.echo(f"  heads         {_heads_note(cfg.size)}")
    typer.echo(f"  card section  {card_model_section(cfg)}")
    if write_card is None:
        typer.echo(f"Write a model card for it: ranawatch checkpoint {file} --write-card CARD.yaml")
        return
    card = _card(base, cfg, ckpt.sha256)
    try:
        card.save(write_card)
    except OSError as exc:
        typer.echo(f"error: cannot write {write_card}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"wrote {write_card}: {card.name} {card.version}, labels {card.labels}; use it with "
        f"--model-card {write_card} (or RANAWATCH_MODEL_CARD={write_card})"
    )


def _labels(given: str | None, outputs: int, frog: ModelCard) -> list[str]:
    if given:
        names = [label.strip() for label in given.split(",") if label.strip()]
        if len(names) != outputs:
            raise ValueError(
                f"--labels names {len(names)} labels but the checkpoint has {outputs} outputs; "
                f"give {outputs}, in output order"
            )
        return names
    if len(frog.labels) == outputs:
        return list(frog.labels)
    return [f"class_{i}" for i in range(outputs)]


def _heads_note(size: str | None) -> str:
    if size is None:
        return "width // 64 (the ViT convention; the tensors cannot say: check it)"
    return f"those of the {size} size (the tensors cannot say)"


def _card(base: ModelCard, cfg: ASTConfig, sha256: str | None) -> ModelCard:
    negative = base.labels[-1] if base.labels[-1] == "Negative" else base.negative_label
    positive = [label for label in base.labels if label != negative]
    return ModelCard(
        name=base.name,
        version=base.version,
        description=f"Written by `ranawatch checkpoint` from the tensors of {base.name}.",
        labels=base.labels,
        positive_labels=positive,
        negative_label=negative,
        model=cfg,
        frontend=base.frontend,
        checkpoint_sha256=sha256,
    )


def register(app: typer.Typer) -> None:
    """Add ``checkpoint`` to the ``ranawatch`` command."""
    app.command("checkpoint")(checkpoint)
