"""``xpnet export``: write a saved model as ONNX, to run in onnxruntime and elsewhere."""

from __future__ import annotations

import argparse

from ..model import load


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The description and options of ``xpnet export``."""
    parser.description = (
        "Write a model saved by 'xpnet train' (or Model.save) as an ONNX file. Its input 'X' "
        "is (examples, features), one example per row; its output 'probabilities' is "
        "(examples, outputs). Needs the onnx package (pip install \"xpnet[onnx]\").")
    parser.epilog = "example:\n  xpnet export cat.safetensors cat.onnx"
    parser.add_argument("model", metavar="MODEL", help="a saved model (.safetensors or .npz)")
    parser.add_argument("out", metavar="OUT", help="the ONNX file to write (e.g. model.onnx)")


def run(args: argparse.Namespace) -> int:
    """Export ``args.model`` to ``args.out``; return the exit status."""
    model = load(args.model)
    model.to_onnx(args.out)
    print(f"{args.out}: ONNX model of {' -> '.join(map(str, model.layer_dims))} "
          f"({', '.join(model.activations)}; {model.dtype}), input X (m, {model.layer_dims[0]})")
    return 0
