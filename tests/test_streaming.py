"""Training on data that stays on disk (xpnet.streaming): the same run as in memory for the
same batch order, the window shuffle's reads and order, errors, and the reader thread."""

from __future__ import annotations

import threading

import h5py
import numpy as np
import pytest

import xpnet
from tests.conftest import host
from xpnet.rng import RandomState
from xpnet.streaming import DiskArray, StreamedData, Streaming

N, M = 24, 600
DIMS = [N, 10, 1]


@pytest.fixture(scope="module")
def data():
    """Examples-major X (m, n) float32, and labels Y (1, m) a teacher draws from it."""
    rng = np.random.default_rng(7)
    Xe = rng.standard_normal((M, N)).astype(np.float32)
    Y = (Xe @ rng.standard_normal(N) > 0).astype(np.float32)[None, :]
    return Xe, Y


@pytest.fixture
def sources(data, tmp_path):
    """The same X on disk in each supported form: name -> (features, examples) source."""
    Xe, _ = data
    np.save(tmp_path / "x.npy", Xe)
    out = {"memmap": DiskArray(np.load(tmp_path / "x.npy", mmap_mode="r"), examples_axis=0)}
    f = h5py.File(tmp_path / "x.h5", "w")
    f.create_dataset("course", data=Xe.T, chunks=(N, 64))  # (features, examples)
    f.create_dataset("rows", data=Xe.reshape(M, 4, 6), chunks=(50, 4, 6))  # one after another
    out["h5py"] = f["course"]
    out["h5py-rows"] = DiskArray(f["rows"], examples_axis=0)
    try:
        import zarr

        z = zarr.create_array(str(tmp_path / "x.zarr"), shape=(N, M), chunks=(N, 128),
                              dtype="float32")
        z[...] = Xe.T
        out["zarr"] = z
    except ImportError:
        pass
    try:
        import dask.array as da

        out["dask"] = da.from_array(Xe.T, chunks=(N, 100))
    except ImportError:
        pass
    yield out
    f.close()


KW = {"layer_dims": DIMS, "num_epochs": 3, "mini_batch_size": 64, "seed": 3}


def same(a, b):
    return all(np.array_equal(host(a.params[k]), host(b.params[k])) for k in a.params)


@pytest.mark.parametrize("kind", ["memmap", "h5py", "h5py-rows", "zarr", "dask"])
def test_exact_shuffle_is_the_in_memory_run_bit_for_bit(data, sources, kind):
    if kind not in sources:
        pytest.skip(f"{kind} is not installed")
    Xe, Y = data
    kw = {**KW, "keep_prob": 0.8, "optimizer": "adam"}
    ref = xpnet.train(Xe.T, Y, **kw)
    run = xpnet.train(sources[kind], Y, streaming=Streaming(shuffle="exact"), **kw)
    assert run.config["streaming"]["shuffle"] == "exact"
    assert run.costs == ref.costs
    assert same(run, ref)


@pytest.mark.parametrize("kind", ["memmap", "h5py"])
def test_in_order_reading_is_the_in_memory_run_without_shuffle(data, sources, kind):
    Xe, Y = data
    ref = xpnet.train(Xe.T, Y, shuffle=False, **KW)
    run = xpnet.train(sources[kind], Y, shuffle=False, streaming=Streaming(block_size=100), **KW)
    assert run.config["streaming"]["shuffle"] == "none"
    assert run.costs == ref.costs and same(run, ref)


def test_weights_batch_norm_and_softmax_labels_stream_like_in_memory(data, sources):
    Xe, _ = data
    labels = (np.abs(Xe[:, :3]).argmax(axis=1)).astype(np.int64)  # 3 classes, integer labels
    w = np.linspace(0.5, 2.0, M)
    kw = {**KW, "layer_dims": [N, 8, 3], "batch_norm": True, "sample_weight": w,
          "class_weight": "balanced"}
    ref = xpnet.train(Xe.T, labels, **kw)
    run = xpnet.train(sources["h5py"], labels, streaming=Streaming(shuffle="exact"), **kw)
    assert run.costs == ref.costs and same(run, ref)
    assert all(np.array_equal(host(run.stats[k]), host(ref.stats[k])) for k in ref.stats)


def test_every_backend_streams_to_its_device_like_in_memory(backend, data, sources):
    """The generic engine on each backend: batches are moved to the device by the reader."""
    Xe, Y = data
    kw = {**KW, "backend": backend, "dtype": "float64", "engine": "generic"}
    ref = xpnet.train(Xe.T.astype(np.float64), Y, **kw)
    run = xpnet.train(sources["h5py"], Y, streaming=Streaming(shuffle="exact"), **kw)
    assert run.config["backend"] == ref.config["backend"]
    np.testing.assert_allclose(run.costs, ref.costs, rtol=1e-12)
    for k in ref.params:
        np.testing.assert_allclose(host(run.params[k]), host(ref.params[k]), rtol=1e-10,
                                   atol=1e-12)


class CountingArray:
    """A (features, examples) array that records every read (the slices asked for)."""

    def __init__(self, array):
        self.array, self.shape, self.dtype = array, array.shape, array.dtype
        self.reads: list[tuple[int, int]] = []

    def __getitem__(self, key):
        cols = key[-1]
        assert isinstance(cols, slice), "window mode reads whole blocks, never scattered examples"
        self.reads.append((cols.start, cols.stop))
        return self.array[key]


def test_window_shuffle_reads_each_block_once_per_epoch_and_mixes_within_windows(data):
    Xe, Y = data
    src = CountingArray(np.ascontiguousarray(Xe.T))
    settings = Streaming(block_size=50, window_size=200)  # 12 blocks, windows of 4
    model = xpnet.train(src, Y, streaming=settings, **KW)
    blocks = [(a, min(a + 50, M)) for a in range(0, M, 50)]
    assert sorted(src.reads) == sorted(blocks * KW["num_epochs"])
    per_epoch = [src.reads[i:i + 12] for i in range(0, len(src.reads), 12)]
    assert len({tuple(e) for e in per_epoch}) == 3, "the block order changes every epoch"
    config = model.config["streaming"]
    assert (config["block_size"], config["window_size"], config["shuffle"]) == (50, 200, "window")


def test_window_order_is_a_permutation_shuffled_within_windows():
    X = DiskArray(np.zeros((3, 1000), np.float32))
    data = StreamedData(X, np.zeros((1, 1000), np.float32), None, np.float32, 32,
                        Streaming(block_size=100, window_size=300))
    rng = RandomState(0)
    first, second = data.epoch_plan(rng, True).order, data.epoch_plan(rng, True).order
    for order in (first, second):
        assert sorted(order.tolist()) == list(range(1000))
        windows = [order[i:i + 300] for i in range(0, 1000, 300)]
        for w in windows:  # each window is whole blocks, in shuffled order
            blocks = set((w // 100).tolist())
            assert len(blocks) == len(w) // 100 + (len(w) % 100 > 0)
            assert sorted(w.tolist()) == sorted(
                i for b in blocks for i in range(b * 100, b * 100 + 100))
            assert not np.all(np.diff(w) > 0), "examples are shuffled within the window"
    assert not np.array_equal(first, second)
    assert np.array_equal(data.epoch_plan(RandomState(0), True).order, first), "seeded"
    assert np.array_equal(data.epoch_plan(rng, False).order, np.arange(1000))


def test_reading_holds_two_window_buffers_of_at_most_a_window_each(data, monkeypatch):
    Xe, Y = data
    seen: dict[int, int] = {}
    from xpnet import streaming

    original = streaming.BatchReader._read_windows

    def spy(self):
        for rows, start in original(self):
            seen[id(rows.base)] = rows.base.shape[0]
            yield rows, start

    monkeypatch.setattr(streaming.BatchReader, "_read_windows", spy)
    xpnet.train(np.ascontiguousarray(Xe.T), Y, streaming=Streaming(block_size=40, window_size=120),
                **KW)
    assert 1 <= len(seen) <= 2 * KW["num_epochs"]  # two buffers per epoch's reader
    assert max(seen.values()) == 120


def test_resume_from_a_checkpoint_continues_a_streamed_run_exactly(data, sources, tmp_path):
    _, Y = data
    kw = {**KW, "num_epochs": 4, "streaming": Streaming(block_size=64, window_size=128)}
    full = xpnet.train(sources["h5py"], Y, **kw)
    ckpt = tmp_path / "run.ckpt"
    xpnet.train(sources["h5py"], Y, **{**kw, "num_epochs": 2}, checkpoint=ckpt)
    resumed = xpnet.train(sources["h5py"], Y, **kw, resume=ckpt)
    assert resumed.costs == full.costs and same(resumed, full)


def test_the_window_shuffle_trains_as_well_as_a_full_shuffle(data, sources):
    Xe, Y = data
    kw = {**KW, "num_epochs": 30}
    ref = xpnet.train(Xe.T, Y, **kw)
    run = xpnet.train(sources["h5py"], Y, streaming=Streaming(block_size=64, window_size=128),
                      **kw)
    acc = [float(np.mean((host(m.predict(Xe.T)) > 0.5) == Y)) for m in (ref, run)]
    assert acc[1] > 0.9 and abs(acc[0] - acc[1]) < 0.05, acc


def test_validation_data_is_held_in_memory_and_evaluated(data, sources):
    Xe, Y = data
    model = xpnet.train(sources["h5py"], Y, validation_data=(sources["h5py"], Y), **KW)
    hist = model.history
    assert len(hist["val_cost"]) == 3 and all(v is not None for v in hist["val_cost"])
    assert "accuracy" not in hist or all(v is None for v in hist["accuracy"])


def test_streaming_false_reads_the_file_into_memory(data, sources):
    Xe, Y = data
    ref = xpnet.train(Xe.T, Y, **KW)
    run = xpnet.train(sources["h5py"], Y, streaming=False, **KW)
    assert "streaming" not in run.config and same(run, ref)


def test_streaming_true_streams_an_in_memory_array(data):
    Xe, Y = data
    run = xpnet.train(Xe.T, Y, streaming=True, **KW)
    assert run.config["streaming"]["source"] == "numpy.ndarray"


def test_a_nan_in_the_file_is_a_value_error_naming_the_example(data, tmp_path):
    Xe, Y = data
    bad = Xe.copy()
    bad[123, 5] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    X = DiskArray(np.load(tmp_path / "bad.npy", mmap_mode="r"), examples_axis=0)
    with pytest.raises(ValueError, match=r"X contains NaN or infinite values .* example\(s\) 123"):
        xpnet.train(X, Y, **KW)
    assert not [t for t in threading.enumerate() if t.name == "xpnet-reader"]


def test_values_too_large_for_float32_are_caught_after_conversion(data):
    Xe, Y = data
    big = Xe.astype(np.float64)
    big[7, 0] = 1e300
    with pytest.raises(ValueError, match=r"as float32\) in example\(s\) 7 "):
        xpnet.train(big.T, Y, streaming=True, **KW)


def test_bad_streamed_input_gets_clear_errors(data, sources):
    Xe, Y = data
    rows = DiskArray(np.ascontiguousarray(Xe), examples_axis=-1)  # (600, 24) read as 24 examples
    with pytest.raises(ValueError, match=r"X has 600 features .* layer_dims\[0\] is 24.*"
                                         r"examples_axis=0"):
        xpnet.train(rows.array, Y, streaming=True, **KW)
    with pytest.raises(ValueError, match="validation_split needs X in memory"):
        xpnet.train(sources["h5py"], Y, validation_split=0.2, **KW)
    with pytest.raises(ValueError, match="monitor='accuracy' needs the training metric"):
        xpnet.train(sources["h5py"], Y, validation_data=(Xe.T, Y), monitor="accuracy", **KW)
    with pytest.raises(ValueError, match="streamed training needs mini-batches: "
                                         "mini_batch_size=None is the whole of X"):
        xpnet.train(sources["h5py"], Y, **{**KW, "mini_batch_size": None})
    with pytest.raises(TypeError, match="streaming must be None, True, False or xpnet.Streaming"):
        xpnet.train(Xe.T, Y, streaming="yes", **KW)
    with pytest.raises(ValueError, match="Y must have 600 columns|600"):
        xpnet.train(sources["h5py"], Y[:, :500], **KW)
    with pytest.raises(TypeError, match="X must hold real numbers"):
        DiskArray(np.zeros((3, 4), np.complex64))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        DiskArray(np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="examples_axis must be 0"):
        DiskArray(np.zeros((2, 3, 4), np.float32), examples_axis=1)
    with pytest.raises(TypeError, match="has no shape"):
        DiskArray([[1.0, 2.0]])
    with pytest.raises(ValueError, match="read_ahead must be"):
        Streaming(read_ahead=0)
    with pytest.raises(ValueError, match="shuffle"):
        Streaming(shuffle="global")


def test_an_error_in_a_callback_stops_the_reader_thread(data, sources):
    _, Y = data

    def boom(epoch, logs):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        xpnet.train(sources["h5py"], Y, callbacks=boom, **KW)
    assert not [t for t in threading.enumerate() if t.name == "xpnet-reader"]


def test_disk_array_reads_blocks_and_scattered_examples_in_both_layouts(data, sources):
    Xe, _ = data
    for name in ("memmap", "h5py", "h5py-rows"):
        X = sources[name] if isinstance(sources[name], DiskArray) else DiskArray(sources[name])
        assert X.shape == (N, M)
        np.testing.assert_array_equal(X.read(10, 70, np.float32), Xe[10:70])
        idx = np.array([500, 3, 77, 4, 599])
        np.testing.assert_array_equal(X.take(idx, np.float64), Xe[idx].astype(np.float64))
    assert DiskArray(sources["h5py"]).chunk == 64
    assert sources["h5py-rows"].chunk == 50


@pytest.mark.parametrize("engine", ["numpy", "jax"])
def test_fast_engines_train_on_streamed_batches_like_in_memory(data, sources, engine):
    Xe, Y = data
    backend = "numpy" if engine == "numpy" else pytest.importorskip(engine) and engine
    kw = {**KW, "backend": backend, "engine": engine, "dtype": "float64"}
    ref = xpnet.train(Xe.T.astype(np.float64), Y, **kw)
    run = xpnet.train(sources["h5py"], Y, streaming=Streaming(shuffle="exact"), **kw)
    assert run.config["engine"] == ref.config["engine"] == engine
    np.testing.assert_allclose(run.costs, ref.costs, rtol=1e-12)
    for k in ref.params:
        np.testing.assert_allclose(host(run.params[k]), host(ref.params[k]), rtol=1e-10,
                                   atol=1e-12)


def test_a_whole_file_memmap_is_read_with_preadv_like_through_its_mapping(data, tmp_path):
    Xe, _ = data
    np.save(tmp_path / "x.npy", Xe)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    fast = DiskArray(mm, examples_axis=0)
    assert fast._file is not None
    out = np.empty((77, N), np.float32)
    fast.read_into(out, 500)
    np.testing.assert_array_equal(out, Xe[500:577])
    # views of a memmap (their own offset is the file's) and other dtypes use the mapping
    view = DiskArray(mm[100:], examples_axis=0)
    assert view._file is None
    np.testing.assert_array_equal(view.read(0, 50, np.float32), Xe[100:150])
    np.testing.assert_array_equal(fast.read(3, 9, np.float64), Xe[3:9].astype(np.float64))


def test_a_model_predicts_and_evaluates_data_on_disk(data, sources):
    Xe, Y = data
    model = xpnet.train(Xe.T, Y, **KW)
    for kind in ("memmap", "h5py", "h5py-rows"):
        np.testing.assert_allclose(model.predict_proba(sources[kind]),
                                   model.predict_proba(Xe.T), rtol=1e-6)
        np.testing.assert_array_equal(model.predict(sources[kind]), model.predict(Xe.T))
        assert model.evaluate(sources[kind], Y) == model.evaluate(Xe.T, Y)
    with pytest.raises(ValueError, match="X has 600 features per example"):
        model.predict(DiskArray(np.ascontiguousarray(Xe)))



def test_values_are_checked_in_the_first_epoch_only(data, monkeypatch):
    Xe, Y = data
    from xpnet import streaming

    checked: list[int] = []
    original = streaming.BatchReader._check
    monkeypatch.setattr(streaming.BatchReader, "_check",
                        lambda self, rows, idx: (checked.extend(idx.tolist()),
                                                 original(self, rows, idx))[1])
    xpnet.train(np.ascontiguousarray(Xe.T), Y, streaming=Streaming(block_size=50, window_size=100),
                **KW)
    assert sorted(checked) == list(range(M))
