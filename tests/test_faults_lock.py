"""Two runs, one folder: the results folder's lock (vaegan_gluon.runlock), with real second processes."""
import os
import signal
import socket
import subprocess
import sys

import pytest

from vaegan_gluon import runlock
from vaegan_gluon.cli import main
from vaegan_gluon.experiments import get_config, run_dir_for, run_experiment

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOLDER = ("import sys, time; sys.path.insert(0, {repo!r}); from vaegan_gluon import runlock; "
          "runlock.RunLock(sys.argv[1], command='holder-test').acquire(); print('HELD', flush=True); time.sleep(600)")


@pytest.fixture
def holder():
    """Start a process that holds a folder's lock; yields start(folder) -> Popen."""
    procs = []

    def start(folder):
        p = subprocess.Popen([sys.executable, "-c", HOLDER.format(repo=REPO), str(folder)],
                             stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "HELD"
        procs.append(p)
        return p
    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def fake_run(folder):
    os.makedirs(folder / "checkpoints", exist_ok=True)
    (folder / "config.json").write_text("{}")
    return folder


def test_second_run_fails_at_once_naming_folder_and_holder(tmp_path, holder):
    run = fake_run(tmp_path / "run")
    p = holder(run)
    with pytest.raises(runlock.RunLocked) as e:
        with runlock.hold(run):
            pass
    msg = str(e.value)
    # at once: refused while the holder still holds the lock (a waiting lock would return only after it ends)
    assert p.poll() is None and "\n" not in msg
    assert str(run) in msg and f"pid {p.pid} on {socket.gethostname()}" in msg and "holder-test" in msg


@pytest.mark.parametrize("overwrite", [False, True])
def test_run_experiment_into_a_folder_in_use_deletes_nothing(tmp_path, holder, overwrite):
    run = fake_run(tmp_path / "run")
    holder(run)
    with pytest.raises(runlock.RunLocked, match="is in use by pid"):
        run_experiment("mnist-vae-logreg", "quick", run_dir=str(run), overwrite=overwrite, progress=False)
    assert (run / "config.json").exists() and (run / "checkpoints").is_dir()   # the first run's files


@pytest.mark.parametrize("flag", [[], ["--overwrite"]])
def test_cli_second_run_is_a_one_line_error(tmp_path, holder, capsys, flag):
    run = fake_run(tmp_path / run_dir_for(get_config("mnist-vae-logreg", "quick"), "results"))
    p = holder(run)
    os.chdir(tmp_path)
    assert main(["run", "mnist-vae-logreg", "--no-progress"] + flag) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "RunLocked" in err and os.path.abspath(run) in err and f"pid {p.pid}" in err
    assert (run / "config.json").exists()


def test_stale_lock_of_a_killed_process_is_taken_over_with_a_warning(tmp_path, holder):
    run = fake_run(tmp_path / "run")
    p = holder(run)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert runlock.read_holder(run)["pid"] == p.pid     # the dead holder's file is still there
    said = []
    with runlock.hold(run, warn=said.append) as lock:
        assert runlock.read_holder(run)["pid"] == os.getpid()
        with runlock.hold(run):                          # re-entrant in one process
            pass
        assert lock.fd is not None
    assert len(said) == 1 and f"stale lock of pid {p.pid}" in said[0] and "no longer running" in said[0]
    assert not os.path.exists(runlock.lock_path(run))    # released: the file is gone


def test_stale_lock_file_with_a_dead_pid(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run = tmp_path / "run"
    run.mkdir()
    (run / runlock.LOCK_NAME).write_text(
        '{"pid": %d, "host": "%s", "started": 0, "command": "old"}' % (dead.pid, socket.gethostname()))
    said = []
    with runlock.hold(run, warn=said.append):
        pass
    assert len(said) == 1 and f"pid {dead.pid}" in said[0]


def test_failed_run_leaves_no_empty_folder(tmp_path):
    run = tmp_path / "new"
    with pytest.raises(ZeroDivisionError):
        with runlock.hold(run):
            1 / 0
    assert not run.exists()
