"""Smoke tests of ``xpnet bench`` on tiny networks: structure of the table and the JSON, and
that every baseline trains the same maths as xpnet. No timing is asserted."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from xpnet import benchmarks
from xpnet.benchmarks import IMPLEMENTATIONS, Unavailable, build_runner
from xpnet.benchmarks.cases import CASES, QUICK_CASES
from xpnet.benchmarks.report import COLUMNS

NUMPY_ONLY = "numpy,numpy-float64,numpy-generic,array_api_strict,course"


def test_quick_run_prints_the_table_and_writes_the_json(tmp_path, capsys):
    path = tmp_path / "results" / "quick.json"
    code = benchmarks.main(["--quick", "--epochs", "2", "--warmup", "1", "--backends", NUMPY_ONLY,
                            "--json", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "| " + " | ".join(COLUMNS) + " |" in out
    assert out.count("not run:") == 1  # one line for everything skipped, not one per network
    assert "not run: array_api_strict on mnist-3v7/mnist-10/mnist-10-bn/wide (runs on cat only" in out
    assert "matmul peak" in out and "GFLOP per epoch" in out
    data = json.loads(path.read_text())
    assert {"date", "argv", "machine", "settings", "matmul_gflops", "networks", "results",
            "skipped"} <= data.keys()
    assert {"cpu", "cores", "blas", "versions", "gpu"} <= data["machine"].keys()
    assert data["settings"]["epochs"] == 2 and data["settings"]["quick"] is True
    rows = {(r["network"], r["implementation"]): r for r in data["results"]}
    expected = {(n, i) for n in CASES for i in NUMPY_ONLY.split(",")}
    assert set(rows) == expected - {(n, "array_api_strict") for n in CASES if n != "cat"} - {
        ("mnist-10-bn", "course")}
    for (network, _), row in rows.items():
        assert len(row["epoch_ms"]) == 2 and len(row["epoch_costs"]) == 2
        assert row["min_ms"] <= row["median_ms"]
        assert row["flops_per_epoch"] == QUICK_CASES[network].flops_per_epoch
        assert row["fraction_of_peak"] > 0
        assert row["ratio_to_numpy_float32"] > 0
        assert f"| {network} | {row['label']} |" in out
    assert all(rows[n, "numpy"]["ratio_to_numpy_float32"] == 1.0 for n in CASES)
    assert {s["implementation"] for s in data["skipped"]} == {"array_api_strict", "course"}
    assert data["networks"]["mnist-10-bn"]["batch_norm"] is True


def test_missing_libraries_make_one_line():
    from xpnet.benchmarks.report import skipped_line

    skipped = [{"network": n, "implementation": i, "reason": r} for n in ("cat", "wide")
               for i, r in (("torch-eager", "torch is not installed"),
                            ("torch-compile", "torch is not installed"),
                            ("jax-jit", "jax is not installed"))]
    skipped.append({"network": "wide", "implementation": "course", "reason": "too slow"})
    assert skipped_line(skipped, ["cat", "wide"]) == (
        "not run: torch-eager, torch-compile (torch is not installed); jax-jit (jax is not "
        "installed); course on wide (too slow)")


def test_busy_mode_runs_busy_processes_beside_and_stops_them(tmp_path):
    from xpnet.benchmarks.machine import busy_processes

    with busy_processes(2) as procs:
        assert len(procs) == 2 and all(p.poll() is None for p in procs)
    assert all(p.poll() is not None for p in procs)
    path = tmp_path / "busy.json"
    assert benchmarks.main(["--quick", "--epochs", "1", "--warmup", "0", "--backends", "numpy",
                            "--networks", "mnist-10", "--busy", "1", "--json", str(path)]) == 0
    settings = json.loads(path.read_text())["settings"]
    assert settings["busy"] == 1 and settings["xpnet_threads"].startswith("auto")
    assert benchmarks.main(["--quick", "--busy", "-1"]) == 2


def test_unknown_names_are_refused(capsys):
    assert benchmarks.main(["--quick", "--backends", "numpy,fortran"]) == 2
    assert "unknown implementation fortran" in capsys.readouterr().err
    assert benchmarks.main(["--quick", "--networks", "imagenet"]) == 2


def test_missing_libraries_are_skipped_with_the_reason():
    if importlib.util.find_spec("cupy") is None:
        with pytest.raises(Unavailable, match="pip install"):
            build_runner("cupy", QUICK_CASES["cat"], 1)
    with pytest.raises(Unavailable, match="cat only"):
        build_runner("array_api_strict", QUICK_CASES["mnist-10"], 1)
    with pytest.raises(Unavailable, match="no batch-norm version"):
        build_runner("course", QUICK_CASES["mnist-10-bn"], 1)


def test_an_engine_that_refuses_the_network_is_skipped_not_a_crash():
    """A forced engine that cannot run a case (torch.compile's with batch norm, say) makes the
    implementation skip that network with the engine's reason; the run goes on."""
    from xpnet.benchmarks.xpnet_impl import XpnetRunner

    with pytest.raises(Unavailable, match="engine='numpy' cannot run this configuration: it "
                                          "runs on numpy arrays only"):
        XpnetRunner(QUICK_CASES["mnist-10-bn"], "array_api_strict", engine="numpy")


def test_flops_per_epoch_counts_forward_weight_and_hidden_input_gradients():
    cat = CASES["cat"]
    forward = 12288 * 20 + 20 * 7 + 7 * 5 + 5 * 1
    assert cat.flops_per_epoch == 2 * 209 * (2 * forward + (20 * 7 + 7 * 5 + 5))
    assert (cat.steps_per_epoch, CASES["mnist-3v7"].steps_per_epoch,
            CASES["mnist-10"].steps_per_epoch) == (1, 97, 469)


def _available(name: str) -> bool:
    module = {"torch-eager": "torch", "jax-jit": "jax"}.get(name)
    return module is None or importlib.util.find_spec(module) is not None


@pytest.mark.parametrize("network", list(QUICK_CASES))
@pytest.mark.parametrize("name, rtol", [("course", 1e-12), ("numpy", 1e-5),
                                        ("numpy-generic", 1e-5), ("torch-eager", 1e-5),
                                        ("jax-jit", 1e-5)])
def test_every_implementation_trains_the_same_maths(network, name, rtol):
    """Same initial weights, batch order and updates: the epoch costs agree with xpnet's."""
    if not _available(name):
        pytest.skip(f"{name} needs a library that is not installed")
    case = QUICK_CASES[network]
    if case.batch_norm and not IMPLEMENTATIONS[name].batch_norm:
        pytest.skip(f"{name} has no batch-norm version")
    reference = build_runner("numpy-float64", case, 1)
    runner = build_runner(name, case, 1)
    expected = [reference.epoch() for _ in range(3)]
    np.testing.assert_allclose([runner.epoch() for _ in range(3)], expected, rtol=rtol)


def test_every_implementation_has_a_unique_label():
    labels = [e.label for e in IMPLEMENTATIONS.values()]
    assert len(set(labels)) == len(labels)
    assert list(IMPLEMENTATIONS)[0] == "numpy"
