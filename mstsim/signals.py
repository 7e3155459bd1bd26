"""Ctrl-C and SIGTERM during a run: stop between engine calls, never inside one.

While :func:`guard` is active, SIGINT and SIGTERM only set a flag. The run
calls :meth:`Guard.check` between batches (and between its phases), which
raises :class:`Interrupted` there, so no exception is ever raised inside a
Numba kernel and the results file is left as the last checkpoint wrote it.
A second signal stops at once (``os._exit``), except while a results file
is being written: then it waits for the write to finish, so no ``.partial``
file is left behind.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

NO_RESULTS = "no results were saved"
HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A run stopped by a signal. Like KeyboardInterrupt, not caught by ``except Exception``."""

    def __init__(self, signum: int, saved: str):
        self.signum, self.saved = signum, saved
        super().__init__(f"interrupted by {signal.Signals(signum).name}; {saved}")

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum


class Guard:
    """The flag the handlers set, and what the run has saved so far (for the final message)."""

    def __init__(self, *, notify: bool | None = None) -> None:
        self.signum: int | None = None
        self.saved = NO_RESULTS
        self._writing = 0
        self._abort_pending = False
        self.notify = sys.stderr.isatty() if notify is None else notify

    def check(self) -> None:
        """Raise :class:`Interrupted` if a signal has arrived."""
        if self.signum is not None:
            raise Interrupted(self.signum, self.saved)

    @contextlib.contextmanager
    def writing(self):
        """Mark a results write: a second signal waits until it is finished."""
        self._writing += 1
        try:
            yield
        finally:
            self._writing -= 1
            if self._abort_pending and not self._writing:
                self._abort()

    def handle(self, signum: int, frame=None) -> None:
        if self.signum is None:
            self.signum = signum
            if self.notify:
                print("\nmstsim: stopping after the current batch (press Ctrl-C again to stop at once)",
                      file=sys.stderr, flush=True)
        elif self._writing:
            self._abort_pending = True
        else:
            self._abort()

    def _abort(self) -> None:
        code = 128 + (self.signum or signal.SIGINT)
        print(f"mstsim: {Interrupted(self.signum or signal.SIGINT, self.saved)}", file=sys.stderr, flush=True)
        os._exit(code)


@contextlib.contextmanager
def guard(*, notify: bool | None = None):
    """Install flag-setting SIGINT/SIGTERM handlers for the ``with`` block (main thread only)."""
    g = Guard(notify=notify)
    if threading.current_thread() is not threading.main_thread():
        yield g  # signal handlers can only be set from the main thread
        return
    previous = {s: signal.signal(s, g.handle) for s in HANDLED}
    try:
        yield g
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
