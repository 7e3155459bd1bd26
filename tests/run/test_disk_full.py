"""A full disk while `mstsim run --record spikes` saves: one line naming the file, the errno and
what was kept, no crash, no `.partial` file, and the last good checkpoint still valid.

Two size-limited writers: a small tmpfs (where this user may mount one) and a per-file size
limit (RLIMIT_FSIZE, any POSIX system); each test skips only where its writer cannot be made.
"""
import errno
import os
import pathlib
import subprocess

import pytest

from mstsim.cli import main
from mstsim.results import Results

from .cli_process import MODEL, finish, start, write_npz

resource = pytest.importorskip("resource")
ARGS = ["--T", "20", "--mask-ratio", "0", "0.5", "--mask-sites", "all", "--batch", "4", "--record", "spikes",
        "--checkpoint", "1000"]


@pytest.fixture(scope="module")
def sizes(tmp_path_factory):
    """Sizes of the file after the first run and after both (the same bytes every time)."""
    folder = tmp_path_factory.mktemp("sizes")
    data = write_npz(folder / "d.npz")
    out = folder / "r.h5"
    assert main(["run", MODEL, "--data", data, *ARGS, "--out", str(out)]) == 0
    both = out.stat().st_size
    first = Results.load(str(out))
    first.runs = first.runs[:1]
    first.save(str(folder / "one.h5"))
    return data, (folder / "one.h5").stat().st_size, both


def check_outcome(code, lines, out, folder, reasons):
    assert code == 2, lines
    assert len(lines) == 1 and "Traceback" not in lines[0], lines
    line = lines[0]
    assert line.startswith(f"mstsim: error: cannot write {out}: ") and any(r in line for r in reasons), line
    assert "the last checkpoint is intact" in line and "1 complete run (mask_0)" in line, line
    res = Results.load(str(out))
    assert [r.name for r in res.runs] == ["mask_0"] and res.runs[0].spikes
    assert not [p for p in pathlib.Path(folder).iterdir() if ".partial" in p.name]


def test_disk_full_on_a_small_tmpfs(tmp_path, sizes):
    data, first, both = sizes
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    limit = (first + both // 2) // 4096 * 4096 + 4096  # the first checkpoint fits, old + new does not
    if not first + 8192 < limit < first + both:
        pytest.skip("the two checkpoints are too close in size for this test")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={limit}", "tmpfs", str(mnt)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        out = mnt / "r.h5"
        code, _, lines = finish(start([MODEL, "--data", data, *ARGS, "--out", out]), [])
        check_outcome(code, lines, out, mnt, [os.strerror(errno.ENOSPC)])
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


@pytest.mark.parametrize("room", ["between the checkpoints", "below the first"])
def test_file_size_limit(tmp_path, sizes, room):
    data, first, both = sizes
    if not first + 4096 < both:
        pytest.skip("the two checkpoints are too close in size for this test")
    limit = (first + both) // 2 if room == "between the checkpoints" else first // 2

    def limited():
        import signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    out = tmp_path / "r.h5"
    code, _, lines = finish(start([MODEL, "--data", data, *ARGS, "--out", out], preexec_fn=limited), [])
    reasons = [os.strerror(errno.EFBIG), os.strerror(errno.ENOSPC)]
    if room == "between the checkpoints":
        check_outcome(code, lines, out, tmp_path, reasons)
        return
    assert code == 2 and len(lines) == 1 and any(r in lines[0] for r in reasons), lines
    assert lines[0].endswith("; no results were saved") and not out.exists()
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]
