"""Data for xpnet, in the course's layout: ``X`` (features, examples), ``Y`` (1, examples).

- :mod:`xpnet.datasets.course`: the real data sets of the course (and MNIST), shipped with
  xpnet and checked by sha256: :func:`load_dataset` by name, or :func:`load_catvnoncat`,
  :func:`load_mnist`, :func:`load_football`, :func:`make_moons`, :func:`make_circles`,
  :func:`load_signs`, each returning a :class:`Dataset`.

- :mod:`xpnet.datasets.files`: your own data from ``.npz`` and ``.csv`` files and folders of
  pictures, and single pictures: :func:`load_training_data` (any of them, or a shipped set by
  name, with a test set held out), :func:`read_npz_data`, :func:`read_csv_data`,
  :func:`read_image_folder`, :func:`read_image` and :func:`hold_out`, returning
  :class:`TrainingData`.

Every public name of the two modules is importable from ``xpnet.datasets`` itself.
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
from .files import (
    IMAGE_SUFFIXES,
    MIN_SIDE,
    SHIPPED,
    DataArgumentError,
    TrainingData,
    hold_out,
    image_shape,
    load_training_data,
    read_csv_data,
    read_image,
    read_image_folder,
    read_npz_data,
)

__all__ = [
    # course
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
    # files
    "IMAGE_SUFFIXES",
    "MIN_SIDE",
    "SHIPPED",
    "DataArgumentError",
    "TrainingData",
    "hold_out",
    "image_shape",
    "load_training_data",
    "read_csv_data",
    "read_image",
    "read_image_folder",
    "read_npz_data",
]
