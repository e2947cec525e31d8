"""safetensors and ``.npz`` model files, and ONNX export (issue 17)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import xpnet
from xpnet import to_numpy as host
from xpnet.checkpoint import load_checkpoint


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(0)
    X = rng.random((5, 30))
    Y = rng.integers(0, 3, (1, 30))
    return xpnet.train(X, Y, [5, 4, 3], num_epochs=3), X


def _same(a, b):
    assert a.layer_dims == b.layer_dims and a.activations == b.activations
    assert a.costs == b.costs and a.dtype == b.dtype and a.config == b.config
    for k in b.params:
        np.testing.assert_array_equal(host(a.params[k]), host(b.params[k]))


@pytest.mark.parametrize("name", ["m.safetensors", "m.npz", "model", "m.bin"])
def test_both_formats_round_trip(model, tmp_path, name):
    m, _ = model
    m.save(tmp_path / name)
    _same(xpnet.load(tmp_path / name), m)


def test_the_format_follows_the_name(model, tmp_path):
    m, _ = model
    m.save(tmp_path / "a.npz")
    m.save(tmp_path / "a.safetensors")
    assert (tmp_path / "a.npz").read_bytes()[:4] == b"PK\x03\x04"
    assert (tmp_path / "a.safetensors").read_bytes()[:4] != b"PK\x03\x04"


def test_the_safetensors_library_reads_a_model(model, tmp_path):
    st = pytest.importorskip("safetensors.numpy", reason="safetensors is not installed")
    from safetensors import safe_open

    m, _ = model
    m.save(tmp_path / "m.safetensors")
    arrays = st.load_file(tmp_path / "m.safetensors")
    assert set(arrays) == set(m.params)
    for k, v in arrays.items():
        np.testing.assert_array_equal(v, host(m.params[k]))
    with safe_open(tmp_path / "m.safetensors", "np") as fh:
        assert json.loads(fh.metadata()["xpnet"])["format"] == "xpnet-model"


@pytest.mark.parametrize("name", ["ck.safetensors", "ck.npz"])
def test_checkpoints_in_both_formats_resume_bit_for_bit(tmp_path, name):
    rng = np.random.default_rng(2)
    X, Y = rng.random((3, 40)), (rng.random((1, 40)) > 0.5).astype(float)
    kw = dict(optimizer="adam", mini_batch_size=8, keep_prob=0.9, seed=1)
    whole = xpnet.train(X, Y, [3, 4, 1], num_epochs=6, **kw)
    xpnet.train(X, Y, [3, 4, 1], num_epochs=3, checkpoint=tmp_path / name, **kw)
    assert load_checkpoint(tmp_path / name).epoch == 3
    resumed = xpnet.train(X, Y, [3, 4, 1], num_epochs=6, resume=tmp_path / name, **kw)
    assert resumed.costs == whole.costs
    for k in whole.params:
        np.testing.assert_array_equal(host(resumed.params[k]), host(whole.params[k]))


# -- ONNX -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("acts, dims", [
    (["relu", "tanh", "softmax"], [5, 6, 4, 3]),
    (["leaky_relu", "sigmoid"], [5, 3, 1]),
    (["tanh", "linear"], [5, 4, 2]),
])
def test_onnxruntime_computes_what_xpnet_computes(tmp_path, dtype, acts, dims):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    pytest.importorskip("onnx", reason="onnx is not installed")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((dims[0], 40))
    if acts[-1] == "softmax":
        Y = rng.integers(0, dims[-1], (1, 40))
    elif acts[-1] == "sigmoid":
        Y = (rng.random((1, 40)) > 0.5).astype(float)
    else:
        Y = rng.standard_normal((dims[-1], 40))
    model = xpnet.train(X, Y, dims, activations=acts, num_epochs=5, dtype=dtype,
                        learning_rate=0.05)
    model.to_onnx(tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"X": np.ascontiguousarray(X.T, dtype=dtype)})
    assert out.dtype == np.dtype(dtype) and out.shape == (40, dims[-1])
    expected = np.asarray(model.predict_proba(X)).T
    np.testing.assert_allclose(out, expected, rtol=1e-5 if dtype == "float32" else 1e-12,
                               atol=1e-6 if dtype == "float32" else 1e-12)


def test_xpnet_export_command(model, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    pytest.importorskip("onnx", reason="onnx is not installed")
    from xpnet.cli import main

    m, X = model
    m.save(tmp_path / "m.safetensors")
    assert main(["export", str(tmp_path / "m.safetensors"), str(tmp_path / "m.onnx")]) == 0
    assert "ONNX model of 5 -> 4 -> 3" in capsys.readouterr().out
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"X": X.T.astype(np.float32)})
    np.testing.assert_allclose(out, m.predict_proba(X).T, rtol=1e-5, atol=1e-6)


def test_export_without_onnx_says_how_to_install(model, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'pip install "xpnet\[onnx\]"'):
        model[0].to_onnx(tmp_path / "m.onnx")


def test_readme_file_formats_example_runs(tmp_path, monkeypatch, capsys):
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("## Model files and checkpoints", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert "damaged.safetensors: the data or the metadata is damaged" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["m.safetensors", "m.npz"])
def test_float64_models_round_trip(tmp_path, name):
    rng = np.random.default_rng(5)
    X, Y = rng.random((3, 20)), (rng.random((1, 20)) > 0.5).astype(float)
    m = xpnet.train(X, Y, [3, 2, 1], num_epochs=2, dtype="float64")
    m.save(tmp_path / name)
    loaded = xpnet.load(tmp_path / name)
    assert loaded.dtype == "float64" and host(loaded.params["W1"]).dtype == np.float64
    _same(loaded, m)


def test_big_endian_npz_arrays_are_read_as_native(model, tmp_path):
    from xpnet.files import read_container, write_npz_atomic

    m, _ = model
    m.save(tmp_path / "m.npz")
    arrays, meta = read_container(tmp_path / "m.npz", "xpnet-model")
    write_npz_atomic(tmp_path / "m.npz", {k: v.astype(">f4") for k, v in arrays.items()}, meta)
    loaded = xpnet.load(tmp_path / "m.npz")
    assert host(loaded.params["W1"]).dtype == np.dtype("float32")
    _same(loaded, m)
