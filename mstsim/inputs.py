"""Turning dataset samples into network inputs, as the model was trained.

How a model wants its inputs (resize, normalisation, event binning) is read
from its ONNX metadata (``mstsim.preprocess``, a JSON object written by the
training script) and can be overridden on the command line.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from .ir.errors import UnsupportedInput


def model_settings(metadata: dict) -> dict:
    """The JSON object in a model's ``mstsim.preprocess`` metadata ({} if absent)."""
    raw = metadata.get("mstsim.preprocess")
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UnsupportedInput(f"the model's mstsim.preprocess metadata is not JSON: {exc}") from None


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
        return cls(resize=tuple(resize) if resize else None, resize_mode=info.get("resize_mode", "nearest"),
                   mean=tuple(info["mean"]) if info.get("mean") else None,
                   std=tuple(info["std"]) if info.get("std") else None,
                   events=info.get("events", "frames"), bins=int(info.get("bins", 9)))


def image_batch(images: np.ndarray, pre: Preprocess) -> np.ndarray:
    from .datasets.transforms import normalize, resize_bilinear, resize_nearest
    x = np.asarray(images, dtype=np.float32)
    if pre.resize is not None and tuple(x.shape[-2:]) != tuple(pre.resize):
        x = (resize_bilinear if pre.resize_mode == "bilinear" else resize_nearest)(x, pre.resize)
    if pre.mean is not None:
        try:
            x = normalize(x, pre.mean, pre.std)
        except ValueError as exc:
            raise UnsupportedInput(f"normalisation of inputs of shape {x.shape[1:]}: {exc}") from None
    return np.ascontiguousarray(x, dtype=np.float32)


def event_batch(samples: list, sensor_size, pre: Preprocess, size: int, steps: int) -> np.ndarray:
    """Frames ``(N, 2*bins, S, S)`` or per-step counts ``(N, steps, 2, S, S)``."""
    from .datasets.transforms import events_to_frames, events_to_stream
    if pre.events == "stream":
        return np.stack([events_to_stream(ev, sensor_size, steps, size) for ev in samples])
    frames = np.stack([events_to_frames(ev, sensor_size, pre.bins, size) for ev in samples]).astype(np.float32)
    if pre.mean is not None:
        from .datasets.transforms import normalize
        frames = normalize(frames, pre.mean, pre.std)
    return frames


def load_samples(spec: str, pre: Preprocess, input_shape, *, limit: int | None, steps: int):
    """(inputs, labels) of the test split of dataset ``spec``, shaped for the model."""
    from .datasets import open_dataset
    ds = open_dataset(spec, split="test")
    n = len(ds) if limit is None else min(limit, len(ds))
    pairs = [ds[i] for i in range(n)]
    labels = np.array([p[1] for p in pairs], dtype=np.int64)
    if ds.kind == "events":
        x = event_batch([p[0] for p in pairs], ds.sensor_size, pre, int(input_shape[-1]), steps)
        shape = x.shape[2:] if pre.events == "stream" else x.shape[1:]
    else:
        x = image_batch(np.stack([p[0] for p in pairs]), pre)
        shape = x.shape[1:]
    if tuple(shape) != tuple(input_shape):
        raise UnsupportedInput(f"dataset {spec!r} gives inputs of shape {tuple(shape)} after preprocessing "
                               f"({pre}), the model expects {tuple(input_shape)}")
    return x, labels
