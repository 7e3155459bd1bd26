"""Dataset readers from local files (never downloading) and preprocessing.

Entry point: :func:`open_dataset`. Preprocessing lives in
:mod:`mstsim.datasets.transforms`; :func:`batches` stacks transformed samples.
"""

from .base import Dataset, DatasetError, FileEventDataset
from .batching import batches
from .registry import SPECS, open_dataset
from .transforms import (events_to_frames, events_to_stream, normalize, resize_bilinear,
                         resize_nearest)

__all__ = [
    "SPECS", "Dataset", "DatasetError", "FileEventDataset", "batches", "events_to_frames",
    "events_to_stream", "normalize", "open_dataset", "resize_bilinear", "resize_nearest",
]
