"""Ctrl-C, SIGTERM and a full disk at the awkward moments: one line, the shell's exit status, no
partial output and no temporary file. Each signal is sent from inside the work at a chosen point
(a sampling step, a file being saved), never after a timer, so no test depends on the machine's
speed."""

import errno
import os
import signal
import subprocess
import sys

import pytest

from handsynth import cli, guard
from handsynth.sample import stepper
from tests.test_hostile_inputs import tiny_model

TEXT = "a line of text\nand another one"


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("interrupts") / "tiny.safetensors"
    tiny_model(path)
    return str(path)


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def signal_on_call(monkeypatch, module, name, signum, call=3):
    """Replace module.name by a wrapper that sends `signum` to this process on its `call`-th call
    and then carries on, as a signal arriving in the middle of that call would."""
    real = getattr(module, name)
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            os.kill(os.getpid(), signum)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"]
)
@pytest.mark.parametrize("kernel", ["lstm_cell", "attention_window", "mixture_draw"])
def test_a_signal_inside_a_compiled_sampling_step_ends_in_one_line(
    model, tmp_path, capsys, monkeypatch, signum, status, kernel
):
    signal_on_call(monkeypatch, stepper, kernel, signum, call=5)
    # What SIGINT did before (a background job of a shell ignores it): the guard puts it back.
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    argv = ["write", TEXT, "--model", model, "-o", str(tmp_path / "x.svg"), "--seed", "1"]
    assert cli.main(argv) == status
    assert one_error_line(capsys) == "handsynth write: interrupted; nothing more was written"
    assert list(tmp_path.iterdir()) == []
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


@pytest.mark.parametrize("ending", ["png", "svg", "pdf"])
def test_sigterm_while_saving_keeps_the_old_file_and_leaves_no_temporary_file(
    model, tmp_path, capsys, monkeypatch, ending
):
    out = tmp_path / f"x.{ending}"
    out.write_bytes(b"the old file")
    signal_on_call(monkeypatch, os, "fsync", signal.SIGTERM, call=1)
    argv = ["write", TEXT, "--model", model, "-o", str(out), "--seed", "1"]
    assert cli.main(argv) == 143
    assert "interrupted" in one_error_line(capsys)
    assert out.read_bytes() == b"the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def full_disk(monkeypatch):
    def fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", fsync)


def test_a_full_disk_is_one_line_naming_the_file_and_the_old_file_stays(
    model, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "x.png"
    out.write_bytes(b"the old file")
    full_disk(monkeypatch)
    assert cli.main(["write", TEXT, "--model", model, "-o", str(out), "--seed", "1"]) == 2
    error = one_error_line(capsys)
    assert error.startswith("handsynth write: error: ") and str(out) in error
    assert "No space left on device" in error and "the old file is kept" in error
    assert out.read_bytes() == b"the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_a_full_disk_while_training_names_the_checkpoint(
    prepared_dir, tmp_path, capsys, monkeypatch
):
    full_disk(monkeypatch)
    run = tmp_path / "run"
    argv = ["train", "prediction", "--data", str(prepared_dir), "--out", str(run)]
    argv += ["--max-steps", "1", "--hidden-size", "8", "--layers", "1", "--quiet"]
    assert cli.main(argv) == 2
    error = one_error_line(capsys)
    assert f"error: {run}/" in error and ".pt: cannot write it: No space left on device" in error
    assert not [p.name for p in run.iterdir() if p.name.endswith((".pt", ".tmp"))]


def test_a_deferred_section_raises_the_interrupt_when_it_ends():
    with guard.guarded():
        with pytest.raises(guard.Interrupted) as caught, guard.deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            finished = True  # the section runs to its end first
        assert finished and caught.value.exit_status == 143


@pytest.mark.slow
def test_a_real_ctrl_c_at_any_moment_is_a_clean_end_or_a_clean_file(model, tmp_path):
    """The whole process, with a real signal at some moment: whatever the moment, the run ends
    either finished (exit 0, the file whole) or interrupted (130, one line, nothing written)."""
    out = tmp_path / "x.png"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    argv = [sys.executable, "-m", "handsynth", "write", TEXT * 4, "--model", model, "-o", str(out)]
    process = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
    try:
        process.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert "Traceback" not in err
    if process.returncode == 0:
        assert out.read_bytes().startswith(b"\x89PNG")
    else:
        assert process.returncode == 130, err
        assert err.strip().splitlines()[-1].endswith("interrupted; nothing more was written")
        assert list(tmp_path.iterdir()) == []
