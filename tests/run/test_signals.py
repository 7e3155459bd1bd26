"""Ctrl-C and SIGTERM sent to a real `mstsim run` at several points: status 130 / 143, one line
saying what was saved, no traceback, and a results file that is valid or absent."""
import signal

import pytest

from mstsim.results import Results

from .cli_process import MODEL, finish, start, wait_for, write_npz


def signalled_run(tmp_path, when, sig=signal.SIGINT, extra=(), times=1):
    data = write_npz(tmp_path / "d.npz")
    out = tmp_path / "r.h5"
    proc = start([MODEL, "--data", data, "--T", "30", "--mask-ratio", "0", "0.5", "--mask-sites", "all",
                  "--batch", "2", "--out", out, "--checkpoint", "0", "--progress", *extra])
    lines: list[str] = []
    try:
        reached = wait_for(proc, when, lines)
        if reached:
            for _ in range(times):  # a second Ctrl-C stops at once, but never in the middle of a write
                proc.send_signal(sig)
        code, _, lines = finish(proc, lines)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert reached, f"the run ended before the signal point: {lines}"
    return code, out, lines


def final_line(lines):
    """The last stderr line, after the --progress lines."""
    rest = [ln for ln in lines if not ln.startswith(("mask ratio", "mstsim: importing", "mstsim: reading"))]
    assert len(rest) == 1, lines
    assert not any("Traceback" in ln or "Error" in ln for ln in lines), lines
    return rest[0]


def check_saved(out, message):
    """The message agrees with the file: absent and 'no results were saved', or valid and described."""
    if out.exists():
        res = Results.load(str(out))
        assert f"{out} holds" in message
        return res
    assert message.endswith("no results were saved")
    return None


@pytest.mark.parametrize("point", ["importing", "first batch"])
def test_interrupt_before_any_checkpoint(tmp_path, point):
    when = {"importing": lambda ln: ln.startswith("mstsim: importing"),
            "first batch": lambda ln: ln.startswith("mask ratio 0 ") and ": 0/8 samples" in ln}[point]
    code, out, lines = signalled_run(tmp_path, when)
    assert code == 130
    message = final_line(lines)
    assert message.startswith("mstsim: interrupted by SIGINT; ")
    res = check_saved(out, message)
    if point == "importing":
        assert res is None and not list(tmp_path.glob("*.partial-*"))
    if res is not None:  # the first batch finished before the flag was read: its checkpoint is there
        assert res.runs[0].ledger.samples == res.runs[0].predictions.shape[1] >= 2


@pytest.mark.parametrize("times", [1, 2])
def test_interrupt_mid_run_keeps_the_samples_done(tmp_path, times):
    code, out, lines = signalled_run(tmp_path, lambda ln: ln.startswith("mask ratio 0 ") and ": 4/8" in ln,
                                     times=times)
    assert code == 130
    message = final_line(lines)
    res = check_saved(out, message)
    assert res is not None and len(res.runs) in (1, 2)
    run = res.runs[-1]
    assert run.ledger.samples == run.predictions.shape[1] == len(run.labels) >= 4
    assert f"of 8 samples of {run.name}" in message or len(res.runs) == 2
    assert not list(tmp_path.glob("*.partial-*"))


def test_sigterm_in_the_second_run_keeps_the_first(tmp_path):
    code, out, lines = signalled_run(tmp_path, lambda ln: ln.startswith("mask ratio 0.5 ") and ": 0/8" in ln,
                                     sig=signal.SIGTERM)
    assert code == 143
    message = final_line(lines)
    assert message.startswith("mstsim: interrupted by SIGTERM; ")
    res = check_saved(out, message)
    assert res.runs[0].name == "mask_0" and res.runs[0].ledger.samples == 8
    assert "1 complete run (mask_0)" in message


def test_sigkill_leaves_no_file_or_a_valid_one_and_the_next_run_clears_its_partial(tmp_path):
    code, out, lines = signalled_run(tmp_path, lambda ln: ln.startswith("mask ratio 0 ") and ": 4/8" in ln,
                                     sig=signal.SIGKILL)
    assert code == -signal.SIGKILL
    if out.exists():
        assert Results.load(str(out)).runs
    stale = tmp_path / "r.h5.partial-999999999"  # as a run killed while writing would leave it
    stale.write_bytes(b"half a file")
    from mstsim.results import Checkpoint, Results as R
    Checkpoint(str(out), R({}, []))
    assert not stale.exists()
