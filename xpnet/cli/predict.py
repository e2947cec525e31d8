"""``xpnet predict``: classify your own pictures with a saved model."""

from __future__ import annotations

import argparse
import math

import numpy as np

from ..backend import BACKENDS
from ..datasets.files import image_shape, read_image
from ..files import ModelFileError
from ..model import Model, load
from ._common import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The description and options of ``xpnet predict``."""
    parser.description = (
        "Classify pictures with a model saved by 'xpnet train' (or Model.save): each is read "
        "with Pillow, resized to the model's input (64x64 RGB for the cat model, 28x28 grey for "
        "MNIST), scaled to [0, 1], and printed as 'IMAGE: label (p=probability of that label)'.")
    parser.epilog = "example:\n  xpnet predict cat.npz my_cat.jpg my_dog.png"
    parser.add_argument("model", metavar="MODEL", help="a saved model (.npz)")
    parser.add_argument("images", metavar="IMAGE", nargs="+", help="picture files (any format "
                        "Pillow reads)")
    parser.add_argument("--invert", action="store_true", help="use 1 - pixel value: for MNIST "
                        "models (light digits on black) given dark writing on white paper")
    parser.add_argument("--backend", choices=BACKENDS, default="numpy",
                        help="default: %(default)s")


def run(args: argparse.Namespace) -> int:
    """Print ``IMAGE: label (p=...)`` for each picture; return the exit status."""
    model = load(args.model, backend=args.backend)
    shape = model_image_shape(model, args.model)
    classes = model_classes(model, args.model)
    X = np.stack([read_image(p, shape, args.invert) for p in args.images], axis=1)
    P = np.asarray(model.predict_proba(X), dtype=np.float64)
    if P.shape[0] == 1:
        P = np.vstack([1.0 - P, P])
    for path, column in zip(args.images, P.T, strict=True):
        k = int(np.argmax(column))
        print(f"{path}: {classes[k]} (p={column[k]:.3f})")
    return 0


def model_classes(model: Model, source: str) -> list[str]:
    """The names of the model's outputs (two for a sigmoid output): recorded by ``xpnet
    train``, else ``"0"``, ``"1"``, ..."""
    count = max(2, model.layer_dims[-1])
    recorded = model.config.get("classes")
    if not recorded:
        return [str(k) for k in range(count)]
    if not (isinstance(recorded, list) and len(recorded) == count
            and all(isinstance(c, (str, int)) and not isinstance(c, bool) for c in recorded)):
        raise ModelFileError(f"{source}: its recorded classes are not a list of {count} names, "
                             "one per output")
    return [str(c) for c in recorded]


def model_image_shape(model: Model, source: str) -> tuple[int, int, int]:
    """The (h, w, channels) a model's input pictures have: recorded by ``xpnet train``, or
    inferred from the input size (12288 = 64·64·3 RGB, 784 = 28·28 grey)."""
    recorded = model.config.get("input_image")
    if recorded:
        if not (isinstance(recorded, list) and len(recorded) == 3
                and all(type(n) is int and n > 0 for n in recorded)
                and recorded[2] in (1, 3) and math.prod(recorded) == model.layer_dims[0]):
            raise ModelFileError(
                f"{source}: its recorded input_image {str(recorded)[:80]} is not [height, width, "
                f"channels (1 or 3)] with {model.layer_dims[0]} values, the model's input size")
        height, width, channels = recorded
        return height, width, channels
    shape = image_shape(model.layer_dims[0])
    if shape is None:
        raise CLIError(f"{source} takes {model.layer_dims[0]} features per example, which is not "
                       "the size of square images (side x side x 3 or side x side); predict reads "
                       "pictures only")
    return shape
