"""``xpnet info``: summarise a saved model (as ``key  value`` lines or JSON)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from ..datasets.files import image_shape
from ..model import load
from ._common import final_cost, print_rows, shorten, stopping_text
from ._inputs import CONFIG_KEY as INPUT_KEY
from ._inputs import InputPreprocessing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The description and options of ``xpnet info``."""
    parser.description = ("Print a saved model's layers, activations, parameter count, classes, "
                          "input, final cost and training settings.")
    parser.add_argument("model", metavar="MODEL", help="a saved model (.npz)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    """Print the summary of the model file ``args.model``; return the exit status."""
    model = load(args.model)
    config = dict(model.config)
    best = stopping_text(config)
    stop_keys = ("monitor", "best_epoch", "best_value", "stopped_early", "patience",
                 "restore_best")
    stopping = {key: config.pop(key, None) for key in stop_keys}
    if stopping["best_epoch"] is not None:
        stopping["best_epoch"] += 1  # counted from 1, as the progress and the summary count
    summary = {
        "file": args.model, "layer_dims": model.layer_dims, "activations": model.activations,
        "batch_norm": model.batch_norm,
        "parameters": model.num_parameters, "dtype": model.dtype, "epochs": len(model.costs),
        "final_cost": model.costs[-1] if model.costs else None,
        "accuracy": _accuracies(config),
        "early_stopping": stopping,
        "classes": config.pop("classes", None), "input_image": config.pop("input_image", None),
        "input_preprocessing": config.pop(INPUT_KEY, None),
        "training": config,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    prep = InputPreprocessing.of_model(model.config, model.layer_dims[0])
    accuracy = summary["accuracy"]
    rows = [
        ("layers", " -> ".join(map(str, model.layer_dims))),
        ("activations", ", ".join(model.activations)),
        ("batch norm", _batch_norm_text(model.batch_norm)),
        ("parameters", f"{model.num_parameters:,} ({model.dtype})"),
        ("classes", shorten(summary["classes"]) if summary["classes"] else "not recorded"),
        ("input", _input_text(summary["input_image"], model.layer_dims[0])),
        ("preprocessing", prep.describe() if summary["input_preprocessing"] else "not recorded"),
        ("final cost", f"{final_cost(model)} after {len(model.costs)} epochs"),
    ]
    if any(value is not None for value in accuracy.values()):
        rows.append(("accuracy", ", ".join(f"{split} {value:.2%}" for split, value
                                           in accuracy.items() if value is not None)))
    if stopping["patience"] is not None:
        rows.append(("early stopping", _stopping_row(stopping, len(model.costs),
                                                     config.get("num_epochs"))))
    if best is not None:
        rows.append(("best epoch", best))
    rows += [(key, _setting(value)) for key, value in config.items() if key != "batch_norm"]
    print(f"{args.model}: xpnet model")
    print_rows(rows, indent="  ")
    return 0


def _accuracies(config: dict[str, Any]) -> dict[str, float | None]:
    """``{"train": ..., "validation": ..., "test": ...}`` from (and out of) ``config``; the
    validation accuracy only for a model trained with ``--val-fraction``."""
    found = {split: config.pop(f"{split}_accuracy", None)
             for split in ("train", "validation", "test")}
    if found["validation"] is None:
        del found["validation"]
    return found


def _stopping_row(stopping: dict[str, Any], done: int, planned: int | None) -> str:
    """``stopped after epoch 37 of 100 (--patience 10)``, or that it did not stop early."""
    planned = done if planned is None else planned
    patience = f" (--patience {stopping['patience']})"
    if stopping["stopped_early"]:
        return f"stopped after epoch {done} of {planned}{patience}"
    if done < planned:  # Ctrl-C or divergence ended it first
        return f"not triggered; training ended after epoch {done} of {planned}{patience}"
    return f"not triggered; ran all {done} epochs{patience}"


def _batch_norm_text(flags: list[bool]) -> str:
    layers = [str(l) for l, flag in enumerate(flags, start=1) if flag]
    if not layers:
        return "none"
    return f"layer{'s' if len(layers) > 1 else ''} {', '.join(layers)} (running statistics saved)"


def _input_text(recorded: list[int] | None, n_x: int) -> str:
    if recorded:
        return _image_text(recorded)
    inferred = image_shape(n_x)
    return f"{n_x} features" + (f" ({_image_text(inferred)} to 'xpnet predict')" if inferred
                                else "")


def _image_text(shape: Sequence[int]) -> str:
    return f"{shape[0]}x{shape[1]} {'RGB' if shape[2] == 3 else 'grey'} images"


def _setting(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
