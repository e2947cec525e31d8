"""xpnet's MLP estimators against scikit-learn's, in the same run, with the same settings.

    python bench/sklearn_compare.py [--seeds 5] [--out bench/results/sklearn-compare.md]

Data: ``load_digits`` (1797 images of 8×8, 10 classes; test accuracy) and ``load_diabetes``
(442 patients, 10 features; test R²), both shipped with scikit-learn. For every seed: a
75/25 split (stratified for digits) by that seed, features standardised on the training part
(and the diabetes target too), then each estimator fitted with ``random_state=seed``. Fits
alternate between the libraries seed by seed, so a busy machine slows both alike. Settings
are scikit-learn's defaults (one hidden layer of 100 ReLU units, Adam, lr 0.001, alpha
0.0001, batches of min(200, n), at most 200 epochs, tol 1e-4, n_iter_no_change 10), plus
``early_stopping=True`` for the small, noisy diabetes set (10 % held out, the best epoch's
weights kept). xpnet runs on NumPy in float64 (as scikit-learn does) and in float32.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import numpy as np
import sklearn
from sklearn import neural_network
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import xpnet

SETS = {
    "digits": dict(load=load_digits, kind="MLPClassifier", metric="accuracy", settings={}),
    "diabetes": dict(load=load_diabetes, kind="MLPRegressor", metric="R²",
                     settings={"early_stopping": True}),
}
CONTENDERS = [
    ("scikit-learn", lambda kind, **kw: getattr(neural_network, kind)(**kw)),
    ("xpnet float64", lambda kind, **kw: getattr(xpnet, kind)(dtype="float64", **kw)),
    ("xpnet float32", lambda kind, **kw: getattr(xpnet, kind)(dtype="float32", **kw)),
]


def split(name: str, seed: int):
    X, y = SETS[name]["load"](return_X_y=True)
    classify = SETS[name]["kind"] == "MLPClassifier"
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=seed,
                                          stratify=y if classify else None)
    scale = StandardScaler().fit(Xtr)
    Xtr, Xte = scale.transform(Xtr), scale.transform(Xte)
    if not classify:
        mu, sd = ytr.mean(), ytr.std()
        ytr, yte = (ytr - mu) / sd, (yte - mu) / sd
    return Xtr, Xte, ytr, yte


def run(seeds: int) -> dict:
    results: dict = {}
    for name, spec in SETS.items():
        for seed in range(seeds):
            Xtr, Xte, ytr, yte = split(name, seed)
            order = CONTENDERS if seed % 2 == 0 else CONTENDERS[::-1]
            for label, make in order:
                est = make(spec["kind"], random_state=seed, **spec["settings"])
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", ConvergenceWarning)
                    start = time.perf_counter()
                    est.fit(Xtr, ytr)
                    seconds = time.perf_counter() - start
                row = results.setdefault((name, label), {"score": [], "seconds": [],
                                                         "n_iter": [], "unconverged": 0})
                row["score"].append(est.score(Xte, yte))
                row["seconds"].append(seconds)
                row["n_iter"].append(est.n_iter_)
                row["unconverged"] += any(issubclass(w.category, ConvergenceWarning)
                                          for w in caught)
    return results


def table(results: dict, seeds: int) -> str:
    lines = ["| data set | estimator | test score, mean ± sd (min–max) | epochs (mean) | "
             "fit time, median s | not converged |",
             "|---|---|---|---|---|---|"]
    for (name, label), row in results.items():
        settings = SETS[name]["settings"]
        s = row["score"]
        spread = statistics.stdev(s) if len(s) > 1 else 0.0
        what = SETS[name]["metric"] + (", early stopping" if settings else "")
        lines.append(
            f"| {name} ({what}) | {label} | {statistics.mean(s):.4f} ± {spread:.4f} "
            f"({min(s):.4f}–{max(s):.4f}) | {statistics.mean(row['n_iter']):.0f} | "
            f"{statistics.median(row['seconds']):.2f} | {row['unconverged']}/{seeds} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", default=None, help="also write the report to this file")
    args = parser.parse_args()
    load_before = os.getloadavg()
    start = time.perf_counter()
    results = run(args.seeds)
    wall = time.perf_counter() - start
    load_after = os.getloadavg()
    report = "\n".join([
        f"`python bench/sklearn_compare.py --seeds {args.seeds}`: {args.seeds} seeds, "
        f"{wall:.0f} s in all",
        f"Python {platform.python_version()}, NumPy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, xpnet {xpnet.__version__}, {os.cpu_count()} CPUs, "
        f"load average {load_before[0]:.1f} before and {load_after[0]:.1f} after, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}",
        "",
        table(results, args.seeds),
    ])
    print(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    main()
