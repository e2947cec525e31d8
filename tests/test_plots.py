"""Pictures: cost curves, decision boundaries, mislabelled images, and ``reproduce --plot``."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from xpnet import plots

needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                      reason="matplotlib is not installed (the plot extra)")

PNG = b"\x89PNG\r\n\x1a\n"


def _png_shape(path):
    import matplotlib.image

    assert path.read_bytes()[:8] == PNG
    return matplotlib.image.imread(path).shape


@needs_matplotlib
def test_plot_costs_one_line_per_run_and_log_scale_for_huge_spans(tmp_path):
    fig = plots.plot_costs({"a": [0.7, 0.5, 0.3], "b": [0.7, 0.6, 0.55]}, path=tmp_path / "c.png")
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]
    assert ax.get_yscale() == "linear"
    assert _png_shape(tmp_path / "c.png")[:2] == (400, 600)
    assert plots.plot_costs([5000.0, 10.0, 0.5]).axes[0].get_yscale() == "log"


@needs_matplotlib
def test_decision_boundary_colours_the_predicted_regions(tmp_path):
    X = np.array([[-1.0, 1.0, -0.5, 0.5], [0.0, 0.0, 1.0, -1.0]])
    Y = np.array([[0, 1, 0, 1]])
    seen = []

    def predict(grid):
        seen.append(grid.shape)
        return (grid[:1] > 0).astype(int)

    fig = plots.plot_decision_boundary(predict, X, Y, resolution=50, title="sign of x1",
                                       path=tmp_path / "b.png")
    assert seen == [(2, 2500)]
    assert fig.axes[0].get_title() == "sign of x1"
    assert fig.axes[0].get_xlim() == (-1.5, 1.5)
    assert _png_shape(tmp_path / "b.png")[2] in (3, 4)
    with pytest.raises(ValueError, match=r"X must be \(2, m\)"):
        plots.plot_decision_boundary(predict, X.T, Y)


@needs_matplotlib
def test_mislabelled_grid_shows_only_the_wrong_ones_with_both_labels():
    rng = np.random.default_rng(0)
    X = rng.random((28 * 28, 10))
    Y = np.array([[0, 1, 1, 0, 1, 0, 0, 1, 1, 0]])
    pred = Y.copy()
    pred[0, [2, 5, 9]] = 1 - pred[0, [2, 5, 9]]
    fig = plots.plot_mislabelled(X, Y, pred, image_shape=(28, 28), classes=("7", "3"),
                                 title="test")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["predicted 7\ntrue 3", "predicted 3\ntrue 7", "predicted 3\ntrue 7"]
    assert fig._suptitle.get_text() == "test: 3 of 10 mislabelled"
    one_hot = np.eye(2)[:, Y[0]]
    assert len(plots.plot_mislabelled(X, one_hot, pred, image_shape=(28, 28),
                                      max_images=2).axes) == 2


@needs_matplotlib
@pytest.mark.parametrize("name", ["cat-2layer", "regularization"])
def test_reproduce_writes_the_picture(tmp_path, name):
    from xpnet.reproduce import reproduce

    path = tmp_path / f"{name}.png"
    result = reproduce(name, quick=True, plot=path)
    assert result.plot == path
    height, width = _png_shape(path)[:2]
    assert height > 300 and width > 300
    assert str(path) in result.table()


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(ImportError, match=r'pip install "xpnet\[plot\]"'):
        plots.plot_costs([1.0, 0.5])


@needs_matplotlib
def test_plot_history_counts_epochs_from_1_and_skips_epochs_not_evaluated(tmp_path):
    # a run resumed at epoch 3 (costs hold all 6, the history the last 3), validated every
    # second epoch and at the last
    history = {"epoch": [3, 4, 5], "cost": [0.4, 0.35, 0.3],
               "accuracy": [None, 0.8, 0.85], "val_cost": [None, 0.5, 0.45],
               "val_accuracy": [None, 0.7, 0.75]}
    costs = [0.7, 0.6, 0.5, 0.4, 0.35, 0.3]
    fig = plots.plot_history(history, costs=costs, best_epoch=5, title="run",
                             path=tmp_path / "h.png")
    cost_ax, accuracy_ax = fig.axes
    lines = {line.get_label(): line for line in cost_ax.get_lines()}
    assert list(lines["training"].get_xdata()) == [1, 2, 3, 4, 5, 6]
    assert list(lines["validation"].get_xdata()) == [5, 6]
    assert list(lines["validation"].get_ydata()) == [0.5, 0.45]
    assert list(lines["best epoch (6)"].get_xdata()) == [6, 6]
    accuracy = {line.get_label(): line for line in accuracy_ax.get_lines()}
    assert list(accuracy["training"].get_ydata()) == [0.8, 0.85]
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)
    assert fig.get_suptitle() == "run"
    assert _png_shape(tmp_path / "h.png")[:2] == (400, 1200)
    # without validation: one panel, the training cost
    (ax,) = plots.plot_history({"epoch": [0, 1], "cost": [0.7, 0.6]}).axes
    assert [line.get_label() for line in ax.get_lines()] == ["training"]
