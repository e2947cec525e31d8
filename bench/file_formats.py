"""Save and load times of model files: safetensors against ``.npz`` (issue 17).

``python bench/file_formats.py [--repeats N] [--json PATH]`` times ``Model.save`` and
``xpnet.load`` of three networks in both formats, interleaved (npz, safetensors, npz, ...),
each on a file in a temporary folder, and prints the median and minimum of each. Both
formats are read by the same checks (metadata first, every size against the network, finite
values); safetensors also hashes the data (sha256), npz relies on zip's CRC-32.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import xpnet

NETWORKS = {
    "cat [12288, 20, 7, 5, 1]": [12288, 20, 7, 5, 1],
    "mnist-10 [784, 128, 64, 10]": [784, 128, 64, 10],
    "wide [4096, 4096, 4096, 1]": [4096, 4096, 4096, 1],
}
FORMATS = ("npz", "safetensors")


def _model(dims: list[int]) -> xpnet.Model:
    params = xpnet.initialize_parameters(dims, seed=0)
    acts = ["relu"] * (len(dims) - 2) + ["sigmoid" if dims[-1] == 1 else "softmax"]
    return xpnet.Model(params=params, activations=acts, layer_dims=dims, costs=[0.5] * 100,
                       config={"optimizer": "adam", "learning_rate": 0.001})


def run(repeats: int) -> dict:
    results: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        for label, dims in NETWORKS.items():
            model = _model(dims)
            times: dict = {f: {"save": [], "load": []} for f in FORMATS}
            for r in range(repeats):
                for fmt in FORMATS if r % 2 == 0 else FORMATS[::-1]:
                    path = Path(folder) / f"m.{fmt}"
                    t0 = time.perf_counter()
                    model.save(path)
                    t1 = time.perf_counter()
                    xpnet.load(path)
                    t2 = time.perf_counter()
                    times[fmt]["save"].append(t1 - t0)
                    times[fmt]["load"].append(t2 - t1)
            size = {f: os.path.getsize(Path(folder) / f"m.{f}") for f in FORMATS}
            results[label] = {
                f: {"bytes": size[f], **{op: {"median_s": statistics.median(v), "min_s": min(v)}
                                         for op, v in times[f].items()}}
                for f in FORMATS}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    results = run(args.repeats)
    print(f"{'network':30s} {'format':12s} {'MB':>8s} {'save ms (med/min)':>20s} "
          f"{'load ms (med/min)':>20s}")
    for label, by_format in results.items():
        for fmt, r in by_format.items():
            print(f"{label:30s} {fmt:12s} {r['bytes'] / 1e6:8.2f} "
                  f"{r['save']['median_s'] * 1e3:10.2f}/{r['save']['min_s'] * 1e3:<9.2f} "
                  f"{r['load']['median_s'] * 1e3:10.2f}/{r['load']['min_s'] * 1e3:<9.2f}")
    if args.json:
        info = {"python": platform.python_version(), "numpy": np.__version__,
                "machine": platform.machine(), "load_average": os.getloadavg(),
                "repeats": args.repeats}
        Path(args.json).write_text(json.dumps({"machine": info, "results": results}, indent=2))


if __name__ == "__main__":
    main()
