"""Multi-process launcher: real dist_sync jobs on loopback, failure / timeout / Ctrl-C handling,
argument validation. Every test checks that no process it started (directly or not) is left behind:
each launch gets a unique marker in its environment, inherited by every descendant, and /proc is
scanned for it afterwards."""
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from vaegan_gluon import distributed as dist
from vaegan_gluon.distributed import LaunchError, launch, launch_main, kvstore_info, shard_indices

REPO = str(Path(__file__).resolve().parents[1])
PY = sys.executable
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc, POSIX")


# ------------------------------------------------------------------------------------------------
# leftover-process detection
# ------------------------------------------------------------------------------------------------
def _marked_pids(mark):
    needle = ("VAEGAN_TEST_MARK=%s" % mark).encode()
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                if needle in f.read().split(b"\0"):
                    pids.append(int(d))
        except OSError:
            continue
    return pids


def _children():
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return []
    return [c for c in psutil.Process().children(recursive=True) if c.status() != psutil.STATUS_ZOMBIE]


@pytest.fixture
def job_env():
    """Environment for a launch: a unique marker + the repo on PYTHONPATH. Asserts nothing is left."""
    mark = uuid.uuid4().hex
    pp = os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH")) if p)
    env = {"VAEGAN_TEST_MARK": mark, "PYTHONPATH": pp, "OMP_NUM_THREADS": "1"}
    children_before = {c.pid for c in _children()}
    yield env
    deadline = time.monotonic() + 5
    while _marked_pids(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _marked_pids(mark)
    for pid in left:  # do not leak into the next tests, but fail this one
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    assert not left, "processes left behind: %s" % left
    new_children = [c.pid for c in _children() if c.pid not in children_before]
    assert not new_children, "children of the test left behind: %s" % new_children


# ------------------------------------------------------------------------------------------------
# a real dist_sync training job
# ------------------------------------------------------------------------------------------------
WORKER = textwrap.dedent('''
    import json, os, signal, sys, time
    import numpy as np
    import mxnet as mx
    from mxnet import autograd, gluon
    from vaegan_gluon.distributed import kvstore_info, shard_indices

    out_dir, steps, die_rank = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    how = sys.argv[4] if len(sys.argv) > 4 else "kill"
    kv = mx.kv.create("dist_sync")
    rank, nw = kvstore_info(kv)              # also reports the rank to the launcher
    mx.random.seed(1000 + rank)
    np.random.seed(1000 + rank)
    N, D, bs = 512, 8, 32
    g = np.random.RandomState(0)             # the full data set is the same on every worker ...
    w_true = g.randn(D, 1).astype("float32")
    X = g.randn(N, D).astype("float32")
    Y = X @ w_true + 0.01 * g.randn(N, 1).astype("float32")
    idx = np.asarray(shard_indices(N, rank, nw))   # ... and each trains on its own shard
    X, Y = mx.nd.array(X[idx]), mx.nd.array(Y[idx])
    net = gluon.nn.Dense(1, in_units=D)
    net.initialize(mx.init.Normal(0.5))      # differs per rank; the kvstore broadcasts rank 0's
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore=kv)
    loss_fn = gluon.loss.L2Loss()
    perm = np.random.permutation(len(idx))
    losses = []
    t0 = time.time()
    for step in range(steps):
        b = mx.nd.array(perm[(step * bs) % len(idx):][:bs])
        xb, yb = X[b], Y[b]
        with autograd.record():
            loss = loss_fn(net(xb), yb)
        loss.backward()
        trainer.step(bs * nw)
        losses.append(float(loss.mean().asscalar()))
        if rank == die_rank and step == 2:
            if how == "raise":
                raise ValueError("deliberate failure of rank %d" % rank)
            os.kill(os.getpid(), signal.SIGKILL)
    seconds = time.time() - t0
    net.save_parameters(os.path.join(out_dir, "params-rank%d.params" % rank))
    with open(os.path.join(out_dir, "loss-rank%d.json" % rank), "w") as f:
        json.dump({"losses": losses, "seconds": seconds, "samples": steps * bs, "shard": len(idx)}, f)
    if rank == 0:
        with open(os.path.join(out_dir, "results"), "w") as f:
            json.dump({"num_workers": nw, "first_loss": losses[0], "last_loss": losses[-1]}, f)
''')


def _write_worker(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    out = tmp_path / "out"
    out.mkdir()
    return str(script), out


def test_two_workers_one_server_train_in_sync(tmp_path, job_env):
    import mxnet as mx
    script, out = _write_worker(tmp_path)
    rc = launch([PY, script, str(out), "20", "-1"], n_workers=2, n_servers=1, timeout=60,
                env=job_env, log_dir=str(tmp_path / "logs"))
    assert rc == 0
    logs = sorted(os.listdir(tmp_path / "logs"))
    assert logs == ["scheduler-0.log", "server-0.log", "worker-0.log", "worker-1.log"]
    # only rank 0 writes the results marker; both ranks saved parameters
    assert sorted(os.listdir(out)) == ["loss-rank0.json", "loss-rank1.json", "params-rank0.params",
                                       "params-rank1.params", "results"]
    p0 = mx.nd.load(str(out / "params-rank0.params"))
    p1 = mx.nd.load(str(out / "params-rank1.params"))
    assert sorted(p0) == sorted(p1) == ["bias", "weight"]
    for k in p0:  # the parameter server keeps the replicas bit-identical
        np.testing.assert_array_equal(p0[k].asnumpy(), p1[k].asnumpy())
    results = json.loads((out / "results").read_text())
    assert results["num_workers"] == 2
    for r in (0, 1):
        stats = json.loads((out / ("loss-rank%d.json" % r)).read_text())
        assert stats["shard"] == 256
        first, last = np.mean(stats["losses"][:3]), np.mean(stats["losses"][-3:])
        assert last < 0.2 * first, (r, stats["losses"])


def test_killed_worker_stops_the_job_and_is_named(tmp_path, job_env):
    script, out = _write_worker(tmp_path)
    with pytest.raises(LaunchError) as ei:
        launch([PY, script, str(out), "1000", "1"], n_workers=2, n_servers=1, timeout=60,
               env=job_env)
    msg = str(ei.value)
    assert "worker rank 1" in msg and "SIGKILL" in msg and "pid" in msg, msg
    # stopped by the launcher when rank 1 died, not by the 60 s timeout (tests never assert wall-clock
    # times: a loaded machine made a "< 30 s" check fail), and rank 0 did not run to the end of 1000 steps
    assert "timed out" not in msg and "timeout" not in msg, msg
    assert not (out / "results").exists()


def test_worker_exception_fails_fast_instead_of_hanging(tmp_path, job_env):
    """Without kvstore_info's fail-fast hook a dist_sync worker that raises hangs in ps-lite's
    shutdown barrier; with it, the launcher sees exit code 1 at once."""
    script, out = _write_worker(tmp_path)
    with pytest.raises(LaunchError) as ei:
        launch([PY, script, str(out), "1000", "1", "raise"], n_workers=2, n_servers=1, timeout=60,
               env=job_env, log_dir=str(tmp_path / "logs"), verbose=False)
    msg = str(ei.value)
    assert "timeout" not in msg, msg      # failed fast, not at the 60 s timeout (no wall-clock asserts)
    assert "worker rank 1" in msg and "exited with code 1" in msg, msg
    assert "deliberate failure of rank 1" in msg  # tail of its log


def test_worker_exit_code_is_reported_with_its_log(tmp_path, job_env):
    # no mxnet here: worker 1 fails at once, everyone else would sleep forever
    cmd = ["bash", "-c", 'if [ "$DMLC_ROLE" = worker ] && [ "$DMLC_TASK_ID" = 1 ]; then '
                         'echo "boom from worker 1"; exit 3; fi; sleep 1000; :']
    with pytest.raises(LaunchError) as ei:
        launch(cmd, n_workers=2, n_servers=2, timeout=60, env=job_env, log_dir=str(tmp_path),
               verbose=False)
    msg = str(ei.value)
    assert "timeout" not in msg, msg      # failed fast, not at the 60 s timeout
    assert msg.startswith("worker 1 (pid ") and "exited with code 3" in msg, msg
    assert "boom from worker 1" in msg  # the tail of its log
    assert "killed the other 4 process(es)" in msg


def test_timeout_kills_everything(job_env):
    # `sleep` runs as a child of bash (a command follows it): the whole process group must go
    cmd = ["bash", "-c", "sleep 1000; :"]
    t0 = time.monotonic()
    with pytest.raises(LaunchError, match=r"timeout: the job did not finish within 2 s") as ei:
        launch(cmd, n_workers=2, n_servers=1, timeout=2, env=job_env, verbose=False)
    assert time.monotonic() - t0 >= 2     # it waited for the timeout (an upper bound would be a wall-clock assert)
    assert "worker 0" in str(ei.value) and "scheduler 0" in str(ei.value)


def test_environment_protocol_of_the_local_launcher(tmp_path, job_env):
    code = ("import json, os, sys; e = {k: v for k, v in os.environ.items() if k.startswith('DMLC_')};"
            "name = e['DMLC_ROLE'] + '-' + e.get('DMLC_TASK_ID', 'x');"
            "json.dump(e, open(os.path.join(sys.argv[1], name + '.json'), 'w'))")
    rc = launch([PY, "-c", code, str(tmp_path)], n_workers=2, n_servers=2, timeout=30, env=job_env,
                verbose=False)
    assert rc == 0
    files = sorted(p.name for p in tmp_path.glob("*.json"))
    assert files == ["scheduler-x.json", "server-2.json", "server-3.json", "worker-0.json",
                     "worker-1.json"]
    ports = set()
    for f in tmp_path.glob("*.json"):
        e = json.loads(f.read_text())
        assert e["DMLC_PS_ROOT_URI"] == "127.0.0.1" and e["DMLC_NODE_HOST"] == "127.0.0.1"
        assert e["DMLC_NUM_WORKER"] == "2" and e["DMLC_NUM_SERVER"] == "2"
        ports.add(e["DMLC_PS_ROOT_PORT"])
    assert len(ports) == 1


def test_cli_runs_a_job_and_reports_failure(tmp_path, job_env, monkeypatch, capsys):
    for k, v in job_env.items():
        monkeypatch.setenv(k, v)
    ok = launch_main(["-n", "1", "-s", "1", "--timeout", "30", "-q", "--", PY, "-c", "pass"])
    assert ok == 0
    bad = launch_main(["-n", "1", "--timeout", "30", "-q", "--", PY, "-c",
                       "import os, sys; sys.exit(5 if os.environ['DMLC_ROLE'] == 'worker' else 0)"])
    assert bad == 1
    assert "exited with code 5" in capsys.readouterr().err


def test_ctrl_c_on_the_launcher_cleans_up(tmp_path, job_env):
    env = dict(os.environ, **job_env)
    # SIGINT back to its default in the launcher: a shell without job control starts background
    # commands (`cmd &`) with SIGINT ignored, and Python keeps an inherited SIG_IGN
    proc = subprocess.Popen([PY, "-m", "vaegan_gluon.distributed", "-n", "2", "-s", "1", "--",
                             "bash", "-c", "sleep 1000; :"], env=env, stderr=subprocess.PIPE,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 20
        while len(_marked_pids(job_env["VAEGAN_TEST_MARK"])) < 1 + 4 + 4 and \
                time.monotonic() < deadline:  # launcher + 4 bash + 4 sleep
            time.sleep(0.1)
        assert len(_marked_pids(job_env["VAEGAN_TEST_MARK"])) >= 9
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 130
        assert b"interrupted" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stderr.close()


def test_ssh_path_runs_the_shipped_launch_py_and_times_out(tmp_path, job_env):
    """ssh launcher through mxnet/tools/launch.py: the bootstrap's isAlive shim and host-ip patch let
    launch.py start its scheduler (locally) and its ssh clients; the only host refuses connections
    (port 1), so launch.py as shipped would wait for its scheduler forever - our timeout kills the
    whole local tree (launch.py, scheduler, ssh clients)."""
    hostfile = tmp_path / "hosts"
    hostfile.write_text("127.0.0.1:1\n")
    with pytest.raises(LaunchError, match="timeout: the ssh job did not finish within 4 s"):
        launch(["bash", "-c", "sleep 1000; :"], 1, 1, launcher="ssh", hostfile=str(hostfile),
               timeout=4, env=job_env, host_ip="127.0.0.1", verbose=False)


@pytest.mark.skipif(shutil.which("mpirun") is not None, reason="needs a host *without* mpirun")
def test_mpi_path_failure_leaves_no_scheduler_behind(tmp_path, job_env):
    """launch.py as shipped dies when mpirun is missing but leaves its scheduler running forever."""
    hostfile = tmp_path / "hosts"
    hostfile.write_text("localhost\n")
    with pytest.raises(LaunchError, match=r"launch.py \(mpi launcher, pid \d+\) exited with code 1"):
        launch(["bash", "-c", "sleep 1000; :"], 1, 1, launcher="mpi", hostfile=str(hostfile),
               timeout=20, env=job_env, host_ip="127.0.0.1", verbose=False)


# ------------------------------------------------------------------------------------------------
# argument validation (no process started)
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, pattern", [
    (dict(command=[], n_workers=1), "non-empty list"),
    (dict(command="python x.py", n_workers=1), "non-empty list"),
    (dict(command=["x"], n_workers=0), "n_workers"),
    (dict(command=["x"], n_workers=1.5), "n_workers"),
    (dict(command=["x"], n_workers=2, n_servers=0), "n_servers"),
    (dict(command=["x"], n_workers=1, launcher="yarn"), "launcher must be one of"),
    (dict(command=["x"], n_workers=1, launcher="ssh"), "needs a hostfile"),
    (dict(command=["x"], n_workers=1, launcher="ssh", hostfile="/nonexistent/hosts"),
     "does not exist"),
    (dict(command=["x"], n_workers=1, hostfile=__file__), "only used by the ssh and mpi"),
    (dict(command=["x"], n_workers=1, timeout=0), "timeout"),
    (dict(command=["x"], n_workers=1, timeout=-3), "timeout"),
])
def test_launch_rejects_bad_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        launch(**kwargs)


def test_empty_hostfile_is_rejected(tmp_path):
    (tmp_path / "hosts").write_text("\n  \n")
    with pytest.raises(ValueError, match="lists no host"):
        launch(["x"], 1, launcher="ssh", hostfile=str(tmp_path / "hosts"))


@pytest.mark.parametrize("argv, pattern", [
    (["-n", "2", "-s", "1"], "no command"),
    (["-n", "2", "-s", "1", "--"], "no command"),
    (["-n", "2", "python", "train.py"], "no command"),   # the command must follow "--"
    (["-n", "0", "--", "python"], "integer >= 1"),
    (["-n", "two", "--", "python"], "integer >= 1"),
    (["-n", "2", "-s", "0", "--", "python"], "integer >= 1"),
    (["-s", "1", "--", "python"], "required"),
    (["-n", "2", "--launcher", "ssh", "--", "python"], "needs a hostfile"),
    (["-n", "2", "--launcher", "ssh", "--hostfile", "/nonexistent", "--", "python"],
     "does not exist"),
    (["-n", "2", "--launcher", "yarn", "--", "python"], "invalid choice"),
    (["-n", "2", "--timeout", "0", "--", "python"], "seconds > 0"),
])
def test_cli_rejects_bad_input(argv, pattern, capsys):
    with pytest.raises(SystemExit) as ei:
        launch_main(argv)
    assert ei.value.code == 2
    assert pattern in capsys.readouterr().err


def test_cli_help(capsys):
    assert launch_main(["--help"]) == 0
    assert "-- command" in capsys.readouterr().out


def test_shipped_launcher_is_found():
    path = dist.find_launch_py()
    assert path.endswith(os.path.join("mxnet", "tools", "launch.py")) and os.path.isfile(path)


# ------------------------------------------------------------------------------------------------
# ranks and shards
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, k", [(0, 1), (10, 1), (10, 3), (7, 7), (3, 5), (1000, 4)])
def test_shards_partition_the_indices(n, k):
    shards = [shard_indices(n, r, k) for r in range(k)]
    assert [i for s in shards for i in s] == list(range(n))
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


def test_shard_indices_rejects_bad_rank():
    with pytest.raises(ValueError):
        shard_indices(10, 2, 2)
    with pytest.raises(ValueError):
        shard_indices(10, 0, 0)


def test_kvstore_info_from_kv_env_and_default(monkeypatch, tmp_path):
    for k in ("DMLC_ROLE", "DMLC_TASK_ID", "DMLC_NUM_WORKER", dist.LAUNCH_DIR_ENV):
        monkeypatch.delenv(k, raising=False)
    assert kvstore_info() == (0, 1)

    class FakeKV:
        rank, num_workers = 1, 3
    assert kvstore_info(FakeKV()) == (1, 3)
    monkeypatch.setenv("DMLC_ROLE", "worker")
    monkeypatch.setenv("DMLC_TASK_ID", "2")
    monkeypatch.setenv("DMLC_NUM_WORKER", "4")
    assert kvstore_info() == (2, 4)
    monkeypatch.setenv(dist.LAUNCH_DIR_ENV, str(tmp_path))
    assert kvstore_info(FakeKV()) == (1, 3)  # reported to the launcher for its error messages
    assert (tmp_path / "worker-2.rank").read_text() == "1"
    monkeypatch.setenv("DMLC_ROLE", "server")
    assert kvstore_info() == (0, 1)


def test_kvstore_info_with_a_local_kvstore():
    import mxnet as mx
    assert kvstore_info(mx.kv.create("local")) == (0, 1)
