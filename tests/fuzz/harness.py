"""What every fuzzed call must do: return, or raise an MstsimError; never another exception or a hang."""
from __future__ import annotations

import contextlib
import os
import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from mstsim import MstsimError

SECONDS_PER_CASE = 20  # far above any case's time on a loaded machine: only a hang reaches it


def fuzz_settings(examples: int) -> settings:
    """Derandomized and bounded in the suite; ``MSTSIM_FUZZ_SCALE=k`` runs k times the examples
    with fresh random choices, for a deeper search by hand."""
    scale = int(os.environ.get("MSTSIM_FUZZ_SCALE", "0"))
    return settings(derandomize=scale == 0, database=None, deadline=None, max_examples=examples * max(scale, 1),
                    suppress_health_check=[HealthCheck.too_slow])


class Hang(Exception):
    pass


#: bugs found by these tests in code this suite's owner may not change, reported to its owner:
#: (exception type, text in the message, where and who). A matching case is accepted and
#: listed in KNOWN_SEEN instead of failing; every other exception fails the test.
KNOWN: list[tuple[str, str, str]] = []  # (exception type, message part, where): none left
KNOWN_SEEN: list[str] = []


def _known(exc: Exception) -> str | None:
    for kind, text, where in KNOWN:
        if type(exc).__name__ == kind and text in str(exc):
            return where
    return None


@contextlib.contextmanager
def bounded(what: str, seconds: int = SECONDS_PER_CASE):
    """Fail as a hang if the block takes longer than ``seconds`` (SIGALRM, main thread)."""
    def alarm(signum, frame):
        raise Hang(f"{what}: still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def result_or_mstsim_error(fn, *args, what: str = "", **kwargs):
    """``fn(*args, **kwargs)``'s result, or None when it raised an MstsimError; anything else fails."""
    with bounded(what or getattr(fn, "__name__", "call")):
        try:
            return fn(*args, **kwargs)
        except MstsimError as exc:
            assert str(exc).strip(), f"{what}: an MstsimError without a message"
            return None
        except Hang:
            raise
        except Exception as exc:  # the point of the fuzz test: report the case and the exception
            known = _known(exc)
            if known:
                KNOWN_SEEN.append(f"{what}: {known}")
                return None
            pytest.fail(f"{what}: {type(exc).__name__} instead of an MstsimError: {exc}")


def flip_bits(data: bytes, positions: list[int]) -> bytes:
    """``data`` with bit ``p % 8`` of byte ``p // 8`` flipped for every p (positions modulo the length)."""
    out = bytearray(data)
    for p in positions:
        p %= 8 * len(out)
        out[p // 8] ^= 1 << (p % 8)
    return bytes(out)


def mutate_bytes(data: bytes, kind: str, where: list[int], rng: np.random.Generator) -> bytes:
    """One of: bit flips, truncation, a run of random bytes written over, bytes inserted or deleted."""
    n = max(len(data), 1)
    at = where[0] % n
    if kind == "flip":
        return flip_bits(data, where)
    if kind == "truncate":
        return data[:at]
    if kind == "overwrite":
        junk = rng.integers(0, 256, 1 + where[-1] % 16, dtype=np.uint8).tobytes()
        return data[:at] + junk + data[at + len(junk):]
    if kind == "insert":
        return data[:at] + rng.integers(0, 256, 1 + where[-1] % 16, dtype=np.uint8).tobytes() + data[at:]
    if kind == "delete":
        return data[:at] + data[at + 1 + where[-1] % 16:]
    raise AssertionError(kind)


BYTE_MUTATIONS = ("flip", "truncate", "overwrite", "insert", "delete")
