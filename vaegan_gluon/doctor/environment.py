"""``vaegan doctor``: can this machine run the project, and on which devices?

It reports the MXNet build (``mx.runtime.Features()``), numpy against its pin, OpenMP threads against
cores, free memory and disk, the data sources it finds, gluoncv, and every NVIDIA GPU (``nvidia-smi``)
with its compute capability and whether the installed wheel has kernels for it. The exit status is
1 when the environment cannot run the project (``--ctx gpu``: cannot run it on a GPU), else 0.

This module has the environment's facts (:func:`collect`) and checks (:func:`diagnose`); the GPU facts
(which wheel has kernels for which compute capability, docs/gpu.md's matrix) are :mod:`.gpu`'s, the
command line :mod:`.cli`'s.

Works without a usable mxnet: nothing here imports it at module level (``python -m vaegan_gluon.doctor``
runs even when ``vaegan`` itself cannot start).
"""
import os
import shutil
import sys

from .gpu import FAIL, GPU_BUILD, INFO, OK, WARN, WHEELS, diagnose_gpus, query_gpus

NUMPY_PIN = "1.23.5"
PYTHON_RANGE = ((3, 9), (3, 12))      # requires-python = ">=3.9,<3.12"
MEMORY_WARN_GB, MEMORY_FAIL_GB = 4.0, 0.5
DISK_WARN_GB = 2.0


# ------------------------------------------------------------------------------------------- facts
def _dist_version(name):
    from importlib import metadata
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _numpy_pin():
    from importlib import metadata
    try:
        for req in metadata.requires("vaegan_gluon") or []:
            if req.replace(" ", "").startswith("numpy=="):
                return req.replace(" ", "").split("==", 1)[1].split(";")[0]
    except metadata.PackageNotFoundError:  # not installed (a source checkout): the pin is not known
        pass
    return NUMPY_PIN


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _meminfo_gb():
    """(available, total) GB from /proc/meminfo, or (None, None)."""
    try:
        info = {}
        with open("/proc/meminfo") as f:
            for line in f:
                key, _, rest = line.partition(":")
                info[key] = int(rest.split()[0]) / 1024 ** 2
        return info.get("MemAvailable"), info.get("MemTotal")
    except (OSError, ValueError, IndexError):
        return None, None


def _mxnet_facts():
    facts = {"version": None, "error": None, "features": {}, "num_gpus": None}
    try:
        import mxnet as mx
        facts["version"] = mx.__version__
        feats = mx.runtime.Features()
        facts["features"] = {k: bool(feats.is_enabled(k)) for k in
                             ("MKLDNN", "CUDA", "CUDNN", "NCCL", "DIST_KVSTORE", "OPENMP") if k in feats}
        if facts["features"].get("CUDA"):
            facts["num_gpus"] = mx.context.num_gpus()
    except Exception as err:   # np.bool AttributeError (numpy >= 1.24), OSError libcuda.so.1, ...
        facts["error"] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    return facts


def _data_facts():
    facts = {}
    try:
        from ..data.mnist import DEBIAN_FASHION_MNIST, DataSourceUnavailable, mnist5k_csv_path
        from ..data.idx import idx_folder_complete
        from ..data.cache import default_cache_dir
    except Exception as err:
        return {"error": f"{type(err).__name__}: {err}"}
    try:
        facts["mnist-5k"] = mnist5k_csv_path()
    except DataSourceUnavailable as err:
        facts["mnist-5k"] = None
        facts["mnist-5k-error"] = str(err)
    facts["fashion-mnist"] = DEBIAN_FASHION_MNIST if idx_folder_complete(DEBIAN_FASHION_MNIST) else None
    cache = default_cache_dir()
    facts["cache"] = cache
    facts["cache_entries"] = sorted(os.listdir(cache)) if os.path.isdir(cache) else []
    return facts


def _gluoncv_facts():
    try:
        from ..utils import import_gluoncv   # utils imports mxnet: a broken mxnet is reported here, not raised
        return {"version": _dist_version("gluoncv"), "error": None, "module": import_gluoncv().__name__}
    except RuntimeError as err:
        return {"version": _dist_version("gluoncv"), "error": str(err)}
    except Exception as err:   # mxnet itself does not import (its own check says so)
        return {"version": _dist_version("gluoncv"),
                "error": f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"}


def _numerics_facts():
    """The kernels' state and this checkout's numerics fingerprint (:mod:`.train.fingerprint`)."""
    try:
        from ..train.fingerprint import fingerprint
        fp = fingerprint()
        return {"fingerprint": fp["fingerprint"], "code": fp["code"], "kernels": fp["kernels"], "error": None}
    except Exception as err:   # mxnet does not import, no git, ...
        return {"error": f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"}


def collect(nvidia_smi="nvidia-smi", results_root="results"):
    """Every fact :func:`diagnose` needs, as a JSON-able dict."""
    avail, total = _meminfo_gb()
    disk_root = results_root if os.path.isdir(results_root) else os.getcwd()
    gpus, gpu_note = query_gpus(nvidia_smi)
    numpy_version = _dist_version("numpy")
    return {
        "python": list(sys.version_info[:3]),
        "mxnet": _mxnet_facts(),
        "dists": {d: _dist_version(d) for d in ("mxnet", "mxnet-cu112", "numpy", "gluoncv", "tensorboardX",
                                                "papermill")},
        "numpy": {"version": numpy_version, "pin": _numpy_pin()},
        "omp": {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"), "cores": _cores()},
        "memory_gb": {"available": avail, "total": total},
        "disk_gb": {"path": os.path.abspath(disk_root), "free": shutil.disk_usage(disk_root).free / 1024 ** 3},
        "data": _data_facts(),
        "gluoncv": _gluoncv_facts(),
        "gpus": gpus, "gpu_note": gpu_note,
        "numerics": _numerics_facts(),
    }


# --------------------------------------------------------------------------------------- diagnosis
def diagnose(facts, ctx=None):
    """``[(level, topic, message)]``; ``ctx`` "cpu" / "gpu" / None (gpu when the GPU build is installed)."""
    out = []
    add = lambda level, topic, msg: out.append((level, topic, msg))   # noqa: E731
    py = tuple(facts["python"][:2])
    if not PYTHON_RANGE[0] <= py < PYTHON_RANGE[1]:
        add(FAIL, "python", f"Python {'.'.join(map(str, facts['python']))}: the project needs >= 3.9, < 3.12 "
                            "(mxnet 1.9.1 wheels); make a venv with python3.11")
    else:
        add(OK, "python", ".".join(map(str, facts["python"])))
    dists = facts["dists"]
    cpu_build, gpu_build = dists.get("mxnet"), dists.get(GPU_BUILD)
    if cpu_build and gpu_build:
        add(FAIL, "mxnet", f"both mxnet {cpu_build} and {GPU_BUILD} {gpu_build} are installed (pip does not know "
                           f"they conflict): `pip uninstall -y mxnet {GPU_BUILD}` then `make install` "
                           "(or DEVICE=gpu)")
    mx = facts["mxnet"]
    build = GPU_BUILD if gpu_build else "mxnet"
    if mx["error"]:
        hint = ("numpy >= 1.24 removed np.bool: `pip install -c constraints.txt numpy==1.23.5`"
                if "bool" in mx["error"] else
                "the GPU build needs libcuda.so.1 (an NVIDIA driver) and CUDA 11.2 libraries"
                if gpu_build and ("libcu" in mx["error"] or "OSError" in mx["error"]) else
                "reinstall: `make install` (CPU) or `make install DEVICE=gpu`")
        add(FAIL, "mxnet", f"`import mxnet` fails ({mx['error']}); {hint}")
    elif mx["version"] != WHEELS["mxnet"]["version"]:
        add(FAIL, "mxnet", f"mxnet {mx['version']} installed; the project is written for 1.9.1 "
                           "(gluoncv 0.10.5 refuses mxnet >= 2): `make install`")
    else:
        feats = ", ".join(f"{k} {'on' if v else 'off'}" for k, v in mx["features"].items())
        add(OK, "mxnet", f"{build} {mx['version']}: {feats}")
    npv, pin = facts["numpy"]["version"], facts["numpy"]["pin"]
    if npv != pin:
        add(FAIL, "numpy", f"numpy {npv} installed, pinned {pin} (numpy >= 1.24 breaks `import mxnet`): "
                           f"`pip install -c constraints.txt numpy=={pin}` (docs/install.md, Pins)")
    else:
        add(OK, "numpy", f"{npv} (pin {pin})")
    omp, cores = facts["omp"]["OMP_NUM_THREADS"], facts["omp"]["cores"]
    if omp is None:
        add(WARN, "threads", f"OMP_NUM_THREADS unset ({cores} usable cores): import vaegan_gluon before mxnet, "
                             f"or export OMP_NUM_THREADS={cores}")
    elif not omp.isdigit() or int(omp) < 1:
        add(WARN, "threads", f"OMP_NUM_THREADS={omp!r} is not a positive integer; export OMP_NUM_THREADS={cores}")
    elif int(omp) > cores:
        add(WARN, "threads", f"OMP_NUM_THREADS={omp} > {cores} usable cores: threads oversubscribe the CPU "
                             f"(slower); export OMP_NUM_THREADS={cores}")
    else:
        add(OK, "threads", f"OMP_NUM_THREADS={omp}, {cores} usable cores")
    avail, total = facts["memory_gb"]["available"], facts["memory_gb"]["total"]
    if avail is None:
        add(INFO, "memory", "unknown (no /proc/meminfo)")
    elif avail < MEMORY_FAIL_GB:
        add(FAIL, "memory", f"{avail:.1f} GB available of {total:.1f} GB: too little to train; close programs")
    elif avail < MEMORY_WARN_GB:
        add(WARN, "memory", f"{avail:.1f} GB available of {total:.1f} GB: enough for MNIST; the ConvVAE "
                            f"(anime) experiments want >= {MEMORY_WARN_GB:.0f} GB")
    else:
        add(OK, "memory", f"{avail:.1f} GB available of {total:.1f} GB")
    disk = facts["disk_gb"]
    add(WARN if disk["free"] < DISK_WARN_GB else OK, "disk",
        f"{disk['free']:.1f} GB free at {disk['path']}"
        + (" (ConvVAE checkpoints take GBs: pass --no-checkpoints or --results elsewhere)"
           if disk["free"] < DISK_WARN_GB else ""))
    data = facts["data"]
    if "error" in data:
        add(FAIL, "data", f"data sources not checked: the package does not import ({data['error']})")
    else:
        if data.get("mnist-5k"):
            add(OK, "data", f"mnist-5k: {data['mnist-5k']}")
        else:
            add(FAIL, "data", f"mnist-5k missing ({data.get('mnist-5k-error')}): `make demo` trains on it")
        add(OK if data.get("fashion-mnist") else INFO, "data",
            f"fashion-mnist: {data['fashion-mnist']}" if data.get("fashion-mnist") else
            "fashion-mnist: not at /usr/share/datasets/fashion-mnist (`apt-get install dataset-fashion-mnist`, "
            "or pass --set data.options.path=DIR; else MXNet downloads it)")
        add(INFO, "data", f"image cache {data['cache']}: " + (", ".join(data["cache_entries"]) or "empty"))
        add(INFO, "data", "synthetic-faces: always available (generated)")
    g = facts["gluoncv"]
    add(OK if not g["error"] else WARN, "gluoncv", f"{g['version']}" if not g["error"] else
        f"{g['error']} (gluoncv lr schedules and the Inception FID extractor are unavailable)")
    n = facts.get("numerics")
    if n:
        add(INFO, "kernels", f"numerics fingerprint not computed ({n['error']})" if n.get("error") else
            ", ".join(f"{k} {v}" for k, v in n["kernels"].items())
            + f"; numerics fingerprint {n['fingerprint']} (code {n['code']})")
    out.extend(diagnose_gpus(facts, ctx))
    return out


def exit_status(checks):
    return 1 if any(level == FAIL for level, _, _ in checks) else 0


def render(checks):
    width = max(len(t) for _, t, _ in checks)
    lines = [f"[{level:>4}] {topic:<{width}}  {msg}" for level, topic, msg in checks]
    status = exit_status(checks)
    lines.append("vaegan doctor: " + ("this environment can run the project" if status == 0 else
                                      "this environment cannot run the project as asked (see FAIL above)"))
    return "\n".join(lines)
