"""Pictures of a training run: cost curves, 2-D decision boundaries, mislabelled images.

matplotlib is an optional dependency (``pip install "xpnet[plot]"``), imported only when a
function here is called. Figures are drawn with the non-interactive Agg canvas and never touch
``pyplot``'s global state, so they work on a machine without a display.

Each function draws into ``ax`` (or ``fig``) when given one, else into a new figure; with
``path=`` the figure is also written to that file. The figure is returned.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

PLOT_HINT = 'pip install "xpnet[plot]"  (or pip install matplotlib)'


def _figure(figsize: tuple[float, float]) -> Any:
    """A new matplotlib Figure on an Agg canvas."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"xpnet's plots need matplotlib, which is not installed. "
                          f"Install it with: {PLOT_HINT}") from None
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _finish(fig: Any, path: str | os.PathLike | None) -> Any:
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def plot_costs(costs: Mapping[str, Sequence[float]] | Sequence[float], *, ax: Any = None,
               title: str | None = None, xlabel: str = "epoch",
               path: str | os.PathLike | None = None) -> Any:
    """The cost per epoch of one run (a list) or of several (``{label: costs}``).

    The cost axis is logarithmic when the costs span more than two decades (a run that starts
    with a huge cost, such as the course's large random initialisation).
    """
    curves = dict(costs) if isinstance(costs, Mapping) else {"": list(costs)}
    if ax is None:
        ax = _figure((6, 4)).add_subplot()
    for label, values in curves.items():
        ax.plot(np.arange(len(values)), values, label=label or None, linewidth=1.2)
    finite = [c for values in curves.values() for c in values if np.isfinite(c) and c > 0]
    if finite and max(finite) / min(finite) > 100:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost")
    if title:
        ax.set_title(title)
    if any(curves):
        ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return _finish(ax.figure, path)


def plot_history(history: Mapping[str, Sequence[Any]], *, costs: Sequence[float] | None = None,
                 best_epoch: int | None = None, title: str | None = None,
                 path: str | os.PathLike | None = None) -> Any:
    """The curves of one run of :func:`xpnet.train`: the training and validation cost on the
    left, the training and validation accuracy on the right (when ``history`` has them).

    ``history`` is ``model.history`` (``"epoch"`` counted from 0, ``"cost"``, ``"val_cost"``,
    ``"accuracy"``, ``"val_accuracy"``; ``None`` at epochs not evaluated); ``costs`` is
    ``model.costs``, the training cost of every epoch (a resumed run's history starts at the
    resumed epoch, its costs at the first). Epochs are counted from 1, as the progress bar
    counts them, on whole-number ticks. ``best_epoch`` (counted from 0, as
    ``model.config["best_epoch"]``) is marked with a dotted line.
    """
    epochs = [int(e) + 1 for e in history.get("epoch", [])]
    train_costs = list(costs) if costs is not None else list(history.get("cost", []))
    panels = [("cost", "cost", "val_cost")]
    if _points(epochs, history.get("accuracy")) or _points(epochs, history.get("val_accuracy")):
        panels.append(("accuracy", "accuracy", "val_accuracy"))
    fig = _figure((6 * len(panels), 4))
    from matplotlib.ticker import MaxNLocator  # after _figure, which says how to install it

    for k, (name, train_key, val_key) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        train_points = (list(zip(range(1, len(train_costs) + 1), train_costs, strict=True))
                        if train_key == "cost" else _points(epochs, history.get(train_key)))
        for label, points in (("training", train_points),
                              ("validation", _points(epochs, history.get(val_key)))):
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, label=label, linewidth=1.2, marker="." if len(xs) == 1 else None)
        if name == "cost":
            finite = [y for y in train_costs if np.isfinite(y) and y > 0]
            if finite and max(finite) / min(finite) > 100:
                ax.set_yscale("log")
        if best_epoch is not None:
            ax.axvline(best_epoch + 1, color="0.4", linestyle=":", linewidth=1,
                       label=f"best epoch ({best_epoch + 1})")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(frameon=False)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def _points(epochs: Sequence[int], values: Sequence[Any] | None) -> list[tuple[int, float]]:
    """``(epoch, value)`` for the epochs that have a value."""
    if not values:
        return []
    return [(e, float(v)) for e, v in zip(epochs, values, strict=True) if v is not None]


def _predictor(model: Any) -> Callable[[np.ndarray], np.ndarray]:
    if hasattr(model, "predict"):
        return model.predict
    if callable(model):
        return model
    raise TypeError(f"model must have a predict(X) method or be callable, "
                    f"got {type(model).__name__}")


def plot_decision_boundary(model: Any, X: np.ndarray, Y: np.ndarray, *, ax: Any = None,
                           title: str | None = None, resolution: int = 300,
                           path: str | os.PathLike | None = None) -> Any:
    """The regions a 2-D classifier assigns to each class, with the points ``X`` (2, m) coloured
    by their labels ``Y`` (1, m).

    ``model`` is anything with ``predict(X) -> (1, k)`` labels (an :class:`xpnet.Model`) or such
    a function itself. The grid covers the points with a margin of 0.5 (the course's picture).
    """
    X = np.asarray(X)
    y = np.asarray(Y).reshape(-1)
    if X.ndim != 2 or X.shape[0] != 2 or X.shape[1] != y.shape[0]:
        raise ValueError(f"X must be (2, m) and Y (1, m); got X {X.shape} and Y {np.shape(Y)}")
    predict = _predictor(model)
    (x0, x1), (y0, y1) = [(float(r.min()) - 0.5, float(r.max()) + 0.5) for r in X]
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.stack([gx.ravel(), gy.ravel()]).astype(X.dtype)
    Z = np.asarray(predict(grid)).reshape(gx.shape)
    if ax is None:
        ax = _figure((5, 4)).add_subplot()
    k = max(2, int(max(y.max(), Z.max())) + 1)  # classes: one colour each, even if unpredicted
    colours = dict(cmap="Spectral", vmin=0, vmax=k - 1)
    ax.contourf(gx, gy, Z, levels=np.arange(k + 1) - 0.5, alpha=0.8, **colours)
    ax.scatter(X[0], X[1], c=y, s=12, edgecolors="k", linewidths=0.4, **colours)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return _finish(ax.figure, path)


def plot_mislabelled(X: np.ndarray, Y: np.ndarray, predictions: np.ndarray, *,
                     image_shape: tuple[int, ...], classes: Sequence[str] | None = None,
                     max_images: int = 12, columns: int = 6, fig: Any = None,
                     title: str | None = None, path: str | os.PathLike | None = None) -> Any:
    """A grid of the images (columns of ``X``) whose ``predictions`` (1, m) differ from ``Y``
    (labels (1, m) or one-hot (C, m)), each titled with its predicted and true class.

    ``image_shape`` is ``(64, 64, 3)`` for colour images, ``(28, 28)`` for MNIST (grey).
    """
    X = np.asarray(X)
    y = np.asarray(Y)
    y = y.argmax(axis=0) if y.ndim == 2 and y.shape[0] > 1 else y.reshape(-1)
    pred = np.asarray(predictions).reshape(-1)
    if X.shape[1] != y.shape[0] or pred.shape[0] != y.shape[0]:
        raise ValueError(f"X {X.shape}, Y {np.shape(Y)} and predictions {np.shape(predictions)} "
                         f"must have the same number of examples (columns)")
    wrong = np.flatnonzero(pred != y)[:max_images]
    names = list(classes) if classes is not None else None
    rows = max(1, -(-len(wrong) // columns))
    if fig is None:
        fig = _figure((1.6 * columns, 1.9 * rows + 0.4))
    if title:
        total = np.count_nonzero(pred != y)
        shown = f" (first {len(wrong)} shown)" if len(wrong) < total else ""
        fig.suptitle(f"{title}: {total} of {y.shape[0]} mislabelled{shown}")
    for k, i in enumerate(wrong):
        ax = fig.add_subplot(rows, columns, k + 1)
        image = np.clip(X[:, i].reshape(image_shape), 0.0, 1.0)
        ax.imshow(image, cmap="gray_r" if len(image_shape) == 2 else None,
                  interpolation="nearest")
        p, t = (names[pred[i]], names[y[i]]) if names else (pred[i], y[i])
        ax.set_title(f"predicted {p}\ntrue {t}", fontsize=8)
        ax.axis("off")
    return _finish(fig, path)


def plot_search_scores(values: Mapping[str, Sequence[Any]], scores: Sequence[float], *,
                       log: Mapping[str, int] | None = None, score_name: str = "score",
                       columns: int = 3, fig: Any = None,
                       path: str | os.PathLike | None = None) -> Any:
    """A hyperparameter search: the score of each trial against each hyperparameter
    (``values[name]``, one per trial), one panel per name, with a log axis of base ``log[name]``
    where it is given and not 0 (2 for powers of two, whose ticks are then plain numbers).
    Choices (strings) are placed at one position per option."""
    names = list(values)
    rows = max(1, -(-len(names) // columns))
    if fig is None:
        fig = _figure((3.2 * min(columns, max(1, len(names))), 2.8 * rows))
    for k, name in enumerate(names):
        ax = fig.add_subplot(rows, columns, k + 1)
        xs = list(values[name])
        if any(isinstance(x, str) for x in xs):
            options = sorted({str(x) for x in xs})
            ax.set_xticks(range(len(options)), options)
            xs = [options.index(str(x)) for x in xs]
        ax.scatter(xs, scores, s=14, alpha=0.8)
        if log and log.get(name):
            from matplotlib.ticker import NullFormatter, ScalarFormatter

            ax.set_xscale("log", base=log[name])
            ax.xaxis.set_minor_formatter(NullFormatter())  # labelled decades only
            if log[name] == 2:
                ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.set_xlabel(name)
        ax.set_ylabel(score_name)
        ax.grid(alpha=0.3)
    return _finish(fig, path)
