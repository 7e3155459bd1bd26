"""Turning dataset samples into network inputs, as the model was trained.

How a model wants its inputs (resize, normalisation, event binning) is read
from its ONNX metadata (``mstsim.preprocess``, a JSON object written by the
training script) and can be overridden on the command line. Every value
read from the metadata is checked and bounded (:mod:`mstsim.validate`): a
model file is input like any other.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import entry_points

import numpy as np

from . import validate
from .ir.errors import MstsimError, UnsupportedInput

META = "the model's mstsim.preprocess"


def model_settings(metadata: dict) -> dict:
    """The JSON object in a model's ``mstsim.preprocess`` metadata ({} if absent)."""
    raw = metadata.get("mstsim.preprocess")
    if not raw:
        return {}
    try:
        info = json.loads(raw)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise UnsupportedInput(f"{META} metadata is not JSON: {exc}") from None
    if not isinstance(info, dict):
        raise UnsupportedInput(f"{META} metadata must be a JSON object, got {type(info).__name__}")
    return info


def bounded_settings(metadata: dict) -> dict:
    """:func:`model_settings` with ``T``, ``dataset`` and ``mask_sites`` checked."""
    info = dict(model_settings(metadata))
    if info.get("T") is not None:
        info["T"] = validate.steps(info["T"], f"{META} 'T'")
    for key in ("dataset", "mask_sites"):
        if info.get(key) is not None and not isinstance(info[key], str):
            raise UnsupportedInput(f"{META} {key!r} must be a string, got {info[key]!r}")
    return info


def _floats(info: dict, key: str, positive: bool = False):
    value = info.get(key)
    if not value:
        return None
    if not isinstance(value, list):
        raise UnsupportedInput(f"{META} {key!r} must be a list of numbers, got {value!r}")
    return tuple(validate.real(f"{META} {key!r}", v, positive=positive) for v in value)


def _choice(info: dict, key: str, options: tuple[str, ...], default: str) -> str:
    value = info.get(key, default)
    if value not in options:
        raise UnsupportedInput(f"{META} {key!r} must be one of {', '.join(options)}, got {value!r}")
    return value


@dataclass
class Preprocess:
    """``resize`` (H, W) or None, ``resize_mode`` nearest|bilinear, per-channel ``mean``/``std`` or None;
    for event data ``events`` is ``frames`` (bins x 2 polarities as channels, MST's way) or
    ``stream`` (one bin of events per simulation step), with ``bins`` frame bins."""

    resize: tuple[int, int] | None = None
    resize_mode: str = "nearest"
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    events: str = "frames"
    bins: int = 9

    @classmethod
    def from_metadata(cls, metadata: dict) -> "Preprocess":
        info = model_settings(metadata)
        resize = info.get("resize")
        return cls(resize=validate.size_pair(resize, f"{META} 'resize'") if resize else None,
                   resize_mode=_choice(info, "resize_mode", ("nearest", "bilinear"), "nearest"),
                   mean=_floats(info, "mean"), std=_floats(info, "std", positive=True),
                   events=_choice(info, "events", ("frames", "stream"), "frames"),
                   bins=validate.integer(f"{META} 'bins'", info.get("bins", 9), lo=1, hi=validate.MAX_BINS))


def datasets():
    """The installed dataset readers (entry point group ``mstsim.datasets``): the core never imports them."""
    found = entry_points(group="mstsim.datasets", name="readers")
    if not found:
        raise MstsimError("no dataset readers are installed (entry point group 'mstsim.datasets'); "
                          "reinstall mstsim with `pip install -e .`")
    return next(iter(found)).load()


def image_batch(images: np.ndarray, pre: Preprocess) -> np.ndarray:
    ds = datasets()
    normalize, resize_bilinear, resize_nearest = ds.normalize, ds.resize_bilinear, ds.resize_nearest
    x = np.asarray(images, dtype=np.float32)
    if pre.resize is not None and tuple(x.shape[-2:]) != tuple(pre.resize):
        x = (resize_bilinear if pre.resize_mode == "bilinear" else resize_nearest)(x, pre.resize)
    if pre.mean is not None:
        try:
            x = normalize(x, pre.mean, pre.std)
        except ValueError as exc:
            raise UnsupportedInput(f"normalisation of inputs of shape {x.shape[1:]}: {exc}") from None
    return np.ascontiguousarray(x, dtype=np.float32)


def event_batch(samples: list, sensor_size, pre: Preprocess, size: int, steps: int, files=None) -> np.ndarray:
    """Frames ``(N, 2*bins, S, S)`` or per-step counts ``(N, steps, 2, S, S)``."""
    ds = datasets()
    events_to_frames, events_to_stream, normalize = ds.events_to_frames, ds.events_to_stream, ds.normalize
    out = []
    for i, ev in enumerate(samples):
        try:
            out.append(events_to_stream(ev, sensor_size, steps, size) if pre.events == "stream"
                       else events_to_frames(ev, sensor_size, pre.bins, size))
        except ValueError as exc:
            where = files[i] if files is not None else f"sample {i}"
            raise UnsupportedInput(f"{where}: cannot bin its events: {exc}") from None
    frames = np.stack(out).astype(np.float32)
    if pre.mean is not None and pre.events != "stream":
        try:
            frames = normalize(frames, pre.mean, pre.std)
        except ValueError as exc:
            raise UnsupportedInput(f"normalisation of event frames of shape {frames.shape[1:]}: {exc}") from None
    return frames


def open_samples(spec: str, limit: int | None):
    """(the test split of dataset ``spec``, how many of its samples a run takes); an empty split is an error."""
    readers = datasets()
    ds = readers.open_dataset(spec, split="test")
    if len(ds) == 0:
        raise readers.DatasetError(f"dataset {spec!r}: its test split holds no samples")
    return ds, len(ds) if limit is None else min(int(limit), len(ds))


def input_bytes(ds, n: int, pre: Preprocess, input_shape, steps: int) -> int:
    """Bytes the prepared inputs and the preprocessing buffers take for ``n`` samples (float32)."""
    per_sample = int(np.prod(input_shape, dtype=np.int64))
    if ds.kind == "events":
        w, h, p = (int(v) for v in ds.sensor_size)
        bins = steps if pre.events == "stream" else pre.bins
        prepared = per_sample * (steps if pre.events == "stream" else 1)
        # one sample's int64 counts before padding and resize, and the stacked float32 copies
        return p * bins * h * w * 8 + 3 * n * prepared * 4
    raw = int(np.prod(ds[0][0].shape, dtype=np.int64)) if len(ds) else 0
    # stacked raw images, the resized copy (and bilinear's row pass), the normalised copy
    return n * 4 * (raw + 3 * per_sample)


def load_samples(spec, pre: Preprocess, input_shape, *, limit: int | None = None, steps: int,
                 dataset=None, n: int | None = None, check=None):
    """(inputs, labels) of the test split of dataset ``spec``, shaped for the model.

    ``check``, if given, is called before each sample is read (``mstsim run`` stops there on Ctrl-C).
    """
    ds, count = (dataset, len(dataset)) if dataset is not None else open_samples(spec, limit)
    n = count if n is None else min(n, count)
    pairs = []
    for i in range(n):
        if check is not None:
            check()
        pairs.append(ds[i])
    labels = np.array([p[1] for p in pairs], dtype=np.int64)
    if ds.kind == "events":
        files = getattr(ds, "files", None)
        x = event_batch([p[0] for p in pairs], ds.sensor_size, pre, int(input_shape[-1]), steps, files)
        shape = x.shape[2:] if pre.events == "stream" else x.shape[1:]
    else:
        shapes = {p[0].shape for p in pairs}
        if len(shapes) > 1:
            raise UnsupportedInput(f"dataset {spec!r} holds images of several shapes: {sorted(shapes)}")
        x = image_batch(np.stack([p[0] for p in pairs]), pre)
        shape = x.shape[1:]
    if tuple(shape) != tuple(input_shape):
        raise UnsupportedInput(f"dataset {spec!r} gives inputs of shape {tuple(shape)} after preprocessing "
                               f"({pre}), the model expects {tuple(input_shape)}")
    return x, labels
