"""The results table, and the raw numbers as JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .cases import Case
from .harness import Timing
from .machine import best_rate

#: The implementation every ratio is taken against.
REFERENCE = "numpy"

COLUMNS = ("network", "implementation", "median ms/epoch", "min ms", "× xpnet numpy f32",
           "GFLOP/s", "% of matmul peak")


def rows(cases: dict[str, Case], timings: list[Timing], rates: dict[str, float]) -> list[dict]:
    """One dict per (network, implementation): times, ratio to xpnet NumPy float32, rate."""
    reference = {t.network: t.median_ms for t in timings if t.implementation == REFERENCE}
    out = []
    for t in timings:
        flops = cases[t.network].flops_per_epoch
        gflops = flops / (t.median_ms / 1e3) / 1e9
        peak = best_rate(rates, t.device, t.dtype)
        ref = reference.get(t.network)
        out.append({
            "network": t.network, "implementation": t.implementation, "label": t.label,
            "device": t.device, "dtype": t.dtype,
            "median_ms": t.median_ms, "min_ms": t.min_ms,
            "ratio_to_numpy_float32": t.median_ms / ref if ref else None,
            "flops_per_epoch": flops, "gflops": gflops,
            "fraction_of_peak": gflops / peak if peak else None,
            "epoch_ms": [1e3 * s for s in t.seconds], "epoch_costs": t.costs,
        })
    return out


def table(result_rows: list[dict]) -> str:
    """A Markdown table of ``result_rows``."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * 3 + "---:|" * 4]
    for r in result_rows:
        ratio = r["ratio_to_numpy_float32"]
        frac = r["fraction_of_peak"]
        cells = [r["network"], r["label"], _ms(r["median_ms"]), _ms(r["min_ms"]),
                 "—" if ratio is None else f"{ratio:.2f}", f"{r['gflops']:.1f}",
                 "—" if frac is None else f"{100 * frac:.0f}%"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def skipped_line(skipped: list[dict], networks: list[str]) -> str:
    """One line for everything that did not run: the implementations grouped by reason, with
    the networks when a reason holds for some of the run's ``networks`` only."""
    by_reason: dict[str, dict[str, list[str]]] = {}
    for s in skipped:
        by_reason.setdefault(s["reason"], {}).setdefault(s["implementation"], []).append(
            s["network"])
    parts = []
    for reason, names in by_reason.items():
        listed = ", ".join(n if set(nets) == set(networks) else f"{n} on {'/'.join(nets)}"
                           for n, nets in names.items())
        parts.append(f"{listed} ({reason})")
    return "not run: " + "; ".join(parts)


def _ms(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def machine_lines(machine: dict[str, Any], settings: dict[str, Any],
                  rates: dict[str, float]) -> str:
    blas = machine["blas"]
    if isinstance(blas, list):
        blas = "; ".join(f"{b['internal_api']} {b['version']} ({b['architecture']} kernels, "
                         f"{b['num_threads']} threads)" for b in blas)
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
    lines = [
        f"machine: {machine['cpu']}, {machine['cores']} cores, GPU: {machine['gpu'] or 'none'}",
        f"BLAS: {blas}",
        f"versions: Python {machine['python']}, {versions}",
        f"threads: {settings['threads']} for every library, xpnet's BLAS: "
        f"{settings.get('xpnet_threads')}; busy-loop processes beside: {settings.get('busy', 0)}"
        "; epochs: median of "
        f"{settings['epochs']} after {settings['warmup']} warm-up, interleaved; load average "
        f"{settings.get('load_average_before')} before, {settings.get('load_average_after')} "
        "after",
        "matmul peak (GFLOP/s, measured now): "
        + ", ".join(f"{k} {v:.0f}" for k, v in rates.items()),
    ]
    return "\n".join(lines)


def network_lines(cases: dict[str, Case]) -> str:
    return "\n".join(f"{c.id}: {c.description}; {c.flops_per_epoch / 1e9:.3g} GFLOP per epoch "
                     f"(matrix products), {c.steps_per_epoch} step"
                     f"{'s' if c.steps_per_epoch > 1 else ''} per epoch" for c in cases.values())


def write_json(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    return path
