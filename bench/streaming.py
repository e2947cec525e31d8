"""Streamed training (xpnet.streaming) against the same data in memory: epoch time and peak
memory on a synthetic data set of several GB on disk, and the window shuffle's effect on
accuracy on MNIST stored sorted by class.

    PYTHONPATH=. python bench/streaming.py throughput [--gb 4] [--dir DIR] [--epochs 3]
    PYTHONPATH=. python bench/streaming.py shuffling [--epochs 5]

``throughput`` writes X (m, 1024) float32, one example after another, as a chunked h5py
dataset, a Zarr array and a .npy file (memmap), then trains ``[1024, H, 10]`` (``--hidden H``,
64 by default; Adam, batches of 512) once per source, each run in its own process so that its
peak memory is its own: in memory (the .npy read whole), and streamed from each file with the
page cache of the file dropped before every epoch (``posix_fadvise(DONTNEED)``: every epoch
reads from the disk) and, with ``--warm``, also with the file in the page cache. Epoch time is
the median of the epochs after the first (which also checks every value). Peak memory:
``VmHWM`` (resident) and the largest anonymous resident memory (``RssAnon``, sampled every
20 ms).

``shuffling`` trains ``[784, 128, 10]`` on MNIST's 60000 training images written in their own
order and sorted by label, in memory (full shuffle) and streamed with blocks of 1000 examples
and windows of 1, 4, 16 and 60 blocks, and reports test accuracy (mean of 3 seeds).

Results go to stdout as one table and, with ``--json``, to a file with the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

N_FEATURES, N_CLASSES = 1024, 10
BATCH = 512
ROWS = 16384  # examples generated and written at once
CHUNK = 1024  # examples per storage chunk (4 MiB)


# -- the synthetic data ---------------------------------------------------------------------------

def synthetic_rows(m: int, seed: int = 0):
    """(rows, labels) pieces of a 10-class Gaussian mixture in 1024 dimensions, in order."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((N_CLASSES, N_FEATURES)).astype(np.float32) * 0.08
    for a in range(0, m, ROWS):
        k = min(ROWS, m - a)
        labels = rng.integers(0, N_CLASSES, k)
        rows = rng.standard_normal((k, N_FEATURES), dtype=np.float32)
        rows += centres[labels]
        yield a, rows, labels


def write_files(folder: Path, m: int, formats: list[str]) -> np.ndarray:
    import h5py

    labels = np.empty(m, np.int64)
    h5 = h5py.File(folder / "x.h5", "w") if "h5py" in formats else None
    ds = None if h5 is None else h5.create_dataset("x", (m, N_FEATURES), "float32",
                                                   chunks=(CHUNK, N_FEATURES))
    mm = (np.lib.format.open_memmap(folder / "x.npy", "w+", np.float32, (m, N_FEATURES))
          if {"memmap", "memory"} & set(formats) else None)
    z = None
    if "zarr" in formats:
        import zarr

        z = zarr.create_array(str(folder / "x.zarr"), shape=(m, N_FEATURES),
                              chunks=(CHUNK, N_FEATURES), dtype="float32")
    for a, rows, lab in synthetic_rows(m):
        b = a + len(rows)
        labels[a:b] = lab
        for target in (ds, mm, z):
            if target is not None:
                target[a:b] = rows
    if h5 is not None:
        h5.close()
    if mm is not None:
        mm.flush()
        del mm
    np.save(folder / "y.npy", labels)
    return labels


def drop_cache(path: Path) -> None:
    """Evict ``path`` (a file, or every file under a folder) from the page cache."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for p in files:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


# -- one run, in its own process ---------------------------------------------------------------------

class AnonPeak:
    """The largest ``RssAnon`` of this process, sampled in a thread."""

    def __init__(self, every: float = 0.02) -> None:
        self.peak = 0
        self.every = every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, _status("RssAnon"))
            time.sleep(self.every)

    def close(self) -> int:
        self.stop.set()
        self.thread.join()
        return max(self.peak, _status("RssAnon"))


def _status(key: str) -> int:
    """A ``/proc/self/status`` field in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def child(folder: Path, source: str, cold: bool, epochs: int, hidden: int) -> dict:
    import h5py

    import xpnet

    labels = np.load(folder / "y.npy")
    peak = AnonPeak()
    files = {"h5py": folder / "x.h5", "zarr": folder / "x.zarr", "memmap": folder / "x.npy"}
    handle = None
    start = time.perf_counter()
    if source == "memory":
        X = np.load(folder / "x.npy").T  # read whole: (features, examples) view, no copy
        streaming = False
    elif source == "h5py":
        handle = h5py.File(files["h5py"], "r")
        X = xpnet.DiskArray(handle["x"], examples_axis=0)
        streaming = None
    elif source == "zarr":
        import zarr

        X = xpnet.DiskArray(zarr.open_array(str(files["zarr"]), mode="r"), examples_axis=0)
        streaming = None
    else:
        X = xpnet.DiskArray(np.load(files["memmap"], mmap_mode="r"), examples_axis=0)
        streaming = None
    load_seconds = time.perf_counter() - start

    def evict(epoch: int, logs: dict) -> None:
        if cold and source in files:
            drop_cache(files[source])

    if cold and source in files:
        drop_cache(files[source])
    model = xpnet.train(X, labels, [N_FEATURES, hidden, N_CLASSES], optimizer="adam", learning_rate=1e-3,
                        num_epochs=epochs, mini_batch_size=BATCH, seed=0, streaming=streaming,
                        callbacks=evict)
    anon = peak.close()
    seconds = model.history["seconds"]
    test = next(iter(synthetic_rows(20000)))  # the first rows of the training set
    accuracy = model.evaluate(test[1].T, test[2])
    if handle is not None:
        handle.close()
    return {"source": source, "cold": cold, "epoch_seconds": seconds,
            "median_after_first": statistics.median(seconds[1:]) if len(seconds) > 1 else None,
            "load_seconds": load_seconds, "peak_rss": _status("VmHWM"), "peak_anon": anon,
            "streaming": model.config.get("streaming"), "threads": model.config.get("threads"),
            "final_cost": model.costs[-1], "accuracy": accuracy}


def throughput(args: argparse.Namespace) -> dict:
    folder = Path(args.dir or tempfile.mkdtemp(prefix="xpnet-stream-", dir="/work"))
    folder.mkdir(parents=True, exist_ok=True)
    m = int(args.gb * 2**30 // (4 * N_FEATURES))
    formats = args.formats.split(",")
    if not (folder / "y.npy").exists() or np.load(folder / "y.npy").shape[0] != m:
        t = time.perf_counter()
        write_files(folder, m, [f for f in formats])
        print(f"wrote {m} examples x {N_FEATURES} float32 ({args.gb} GiB per file) in "
              f"{time.perf_counter() - t:.0f} s to {folder}", flush=True)
    runs = []
    plan = [("memory", False)] + [(f, c) for f in formats if f != "memory"
                                  for c in ((True, False) if args.warm else (True,))]
    for source, cold in plan:
        up = os.getloadavg()
        out = subprocess.run([sys.executable, __file__, "child", str(folder), source,
                              "cold" if cold else "warm", str(args.epochs), str(args.hidden)],
                             capture_output=True, text=True, check=False)
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            raise SystemExit(f"{source} failed")
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["load_before"], row["load_after"] = up, os.getloadavg()
        runs.append(row)
        print(json.dumps(row), flush=True)
    base = runs[0]["median_after_first"]
    print(f"\n{'source':<10}{'page cache':<12}{'epoch (s)':>10}{'ratio':>8}"
          f"{'peak RSS (GiB)':>16}{'peak anon (GiB)':>17}")
    for r in runs:
        cache = "-" if r["source"] == "memory" else ("dropped" if r["cold"] else "warm")
        print(f"{r['source']:<10}{cache:<12}{r['median_after_first']:>10.2f}"
              f"{r['median_after_first'] / base:>7.2f}x{r['peak_rss'] / 2**30:>16.2f}"
              f"{r['peak_anon'] / 2**30:>17.2f}")
    if not args.keep:
        import shutil

        shutil.rmtree(folder)
    return {"gb": args.gb, "examples": m, "features": N_FEATURES,
            "layers": [N_FEATURES, args.hidden, N_CLASSES],
            "batch": BATCH, "epochs": args.epochs, "runs": runs}


# -- the shuffle's effect on accuracy ---------------------------------------------------------------

def shuffling(args: argparse.Namespace) -> dict:
    import xpnet
    from xpnet.datasets import load_mnist

    ds = load_mnist()
    X, y = ds.train_x, ds.train_y.reshape(-1)
    test_x, test_y = ds.test_x, ds.test_y.reshape(-1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for order_name, order in (("as published", np.arange(len(y))),
                                  ("sorted by label", np.argsort(y, kind="stable"))):
            path = Path(tmp) / f"{order_name[:6]}.npy"
            np.save(path, np.ascontiguousarray(X.T[order]))
            disk = xpnet.DiskArray(np.load(path, mmap_mode="r"), examples_axis=0)
            labels = y[order]
            settings = [("in memory (full shuffle)", False)] + [
                (f"window of {w} blocks of 1000", xpnet.Streaming(block_size=1000,
                                                                 window_size=1000 * w))
                for w in (1, 4, 16, 60)]
            for name, streaming in settings:
                accs = []
                for seed in range(3):
                    source = X[:, order] if streaming is False else disk
                    model = xpnet.train(source, labels, [784, 128, 10], optimizer="adam",
                                        learning_rate=1e-3, num_epochs=args.epochs,
                                        mini_batch_size=128, seed=seed, streaming=streaming)
                    accs.append(model.evaluate(test_x, test_y))
                rows.append({"file order": order_name, "reading": name,
                             "test accuracy": statistics.mean(accs), "seeds": accs})
                print(json.dumps(rows[-1]), flush=True)
    print(f"\n{'file order':<18}{'reading':<30}{'test accuracy (3 seeds)':>24}")
    for r in rows:
        print(f"{r['file order']:<18}{r['reading']:<30}{r['test accuracy']:>24.4f}")
    return {"epochs": args.epochs, "rows": rows}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        folder, source, cache, epochs, hidden = sys.argv[2:7]
        print(json.dumps(child(Path(folder), source, cache == "cold", int(epochs), int(hidden))))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--gb", type=float, default=4.0)
    t.add_argument("--dir", default=None)
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--hidden", type=int, default=64, help="units of the hidden layer")
    t.add_argument("--formats", default="memory,h5py,zarr,memmap")
    t.add_argument("--warm", action="store_true", help="also stream with the file cached")
    t.add_argument("--keep", action="store_true", help="keep the files")
    s = sub.add_parser("shuffling")
    s.add_argument("--epochs", type=int, default=5)
    for p in (t, s):
        p.add_argument("--json", default=None)
    args = ap.parse_args()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    result = (throughput if args.what == "throughput" else shuffling)(args)
    result.update({"uptime_before": uptime,
                   "uptime_after": subprocess.run(["uptime"], capture_output=True,
                                                  text=True).stdout.strip(),
                   "machine": platform.platform(), "cpus": os.cpu_count(),
                   "python": platform.python_version(), "numpy": np.__version__})
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
