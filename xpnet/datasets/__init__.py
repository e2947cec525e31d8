"""Data for xpnet, in the course's layout: ``X`` (features, examples), ``Y`` (1, examples).

- :mod:`xpnet.datasets.course`: the real data sets of the course (and MNIST), shipped with
  xpnet and checked by sha256: :func:`load_dataset` by name, or :func:`load_catvnoncat`,
  :func:`load_mnist`, :func:`load_football`, :func:`make_moons`, :func:`make_circles`,
  :func:`load_signs`, each returning a :class:`Dataset`.

Every public name of the module is importable from ``xpnet.datasets`` itself.
"""

from .course import (
    DATA_DIR,
    DATASETS,
    MNIST_FILES,
    SHA256,
    Dataset,
    DatasetChecksumError,
    data_file,
    flatten_images,
    load_catvnoncat,
    load_dataset,
    load_football,
    load_mnist,
    load_signs,
    make_circles,
    make_moons,
    sha256_of,
    verify_file,
)

__all__ = [
    "DATASETS",
    "DATA_DIR",
    "MNIST_FILES",
    "SHA256",
    "Dataset",
    "DatasetChecksumError",
    "data_file",
    "flatten_images",
    "load_catvnoncat",
    "load_dataset",
    "load_football",
    "load_mnist",
    "load_signs",
    "make_circles",
    "make_moons",
    "sha256_of",
    "verify_file",
]
