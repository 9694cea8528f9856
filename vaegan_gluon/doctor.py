"""``vaegan doctor``: can this machine run the project, and on which devices?

It reports the MXNet build (``mx.runtime.Features()``), numpy against its pin, OpenMP threads against
cores, free memory and disk, the data sources it finds, gluoncv, and every NVIDIA GPU (``nvidia-smi``)
with its compute capability and whether the installed wheel has kernels for it. The exit status is
1 when the environment cannot run the project (``--ctx gpu``: cannot run it on a GPU), else 0.

The GPU facts live in :data:`WHEELS` and :data:`GPU_FAMILIES`; :func:`gpu_matrix_markdown` renders
the README's "GPU matrix" from them (``vaegan doctor --gpu-matrix``), and :func:`kernel_support`
decides both the matrix and the per-GPU verdict.

Works without a usable mxnet: nothing here imports it at module level (``python -m vaegan_gluon.doctor``
runs even when ``vaegan`` itself cannot start).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

#: what each MXNet 1.9.1 wheel was compiled for (SASS = machine code per architecture; no PTX in either)
WHEELS = {
    "mxnet-cu112": {"version": "1.9.1", "cuda": "11.2", "sass": (50, 60, 70, 80, 86), "ptx": (),
                    "min_driver": "450.80.02", "toolkit_driver": "460.27.03"},
    "mxnet": {"version": "1.9.1", "cuda": None, "sass": (), "ptx": ()},
}
GPU_BUILD = "mxnet-cu112"

#: (compute capability x 10, architecture, example cards) -- the rows of the README's GPU matrix
GPU_FAMILIES = (
    (37, "Kepler", "K80"),
    (50, "Maxwell", "GTX 750 Ti, Quadro M-series"),
    (52, "Maxwell", "GTX 970/980, Titan X, M40"),
    (60, "Pascal", "P100"),
    (61, "Pascal", "GTX 1080, P40, P4"),
    (70, "Volta", "V100, Titan V"),
    (75, "Turing", "T4, RTX 2080, Quadro RTX"),
    (80, "Ampere", "A100, A30"),
    (86, "Ampere", "RTX 3090, A10, A40, RTX A6000"),
    (89, "Ada Lovelace", "L4, L40S, RTX 4090, RTX 6000 Ada"),
    (90, "Hopper", "H100, H200, GH200"),
    (100, "Blackwell", "B200, GB200"),
    (120, "Blackwell", "RTX 5090, RTX PRO 6000"),
)

NUMPY_PIN = "1.23.5"
PYTHON_RANGE = ((3, 9), (3, 12))      # requires-python = ">=3.9,<3.12"
MEMORY_WARN_GB, MEMORY_FAIL_GB = 4.0, 0.5
DISK_WARN_GB = 2.0

OK, INFO, WARN, FAIL = "ok", "info", "warn", "FAIL"


def sm(cc):
    return f"sm_{cc}"


def cc_text(cc):
    return f"{cc // 10}.{cc % 10}"


# --------------------------------------------------------------------------------------- GPU logic
def kernel_support(cc, wheel=GPU_BUILD):
    """``(kind, arch)``: how ``wheel`` runs on a GPU of compute capability ``cc`` (e.g. 86 for 8.6).

    ``("native", 86)``: SASS for exactly this architecture. ``("compatible", 86)``: SASS for a lower
    minor version of the same major (NVIDIA's binary compatibility: a cubin for X.y runs on X.z, z >= y;
    e.g. sm_86 code on an sm_89 Ada card). ``("ptx", a)``: JIT-compiled from PTX (the 1.9.1 wheels carry
    none). ``(None, None)``: no kernel image -- MXNet's kernels fail with "no kernel image is available".
    """
    spec = WHEELS[wheel]
    if cc in spec["sass"]:
        return "native", cc
    same_major = [a for a in spec["sass"] if a // 10 == cc // 10 and a % 10 <= cc % 10]
    if same_major:
        return "compatible", max(same_major)
    ptx = [a for a in spec["ptx"] if a <= cc]
    if ptx:
        return "ptx", max(ptx)
    return None, None


def what_to_do(cc, wheel=GPU_BUILD):
    """The remedy for a GPU the wheel has no kernels for (one sentence)."""
    spec = WHEELS[wheel]
    options = "run on the CPU (`make install`, `--ctx cpu`), use a GPU of compute capability 5.0 to 8.9 (Maxwell to Ampere and Ada)"
    if cc >= 100:
        return (f"{options}; targeting {sm(cc)} needs CUDA 12.8 or newer, and no MXNet 1.x build for it is "
                "known (MXNet 1.9.1 predates CUDA 12)")
    if cc >= 90:
        return (f"{options}, or build MXNet 1.9.1 from source with CUDA 11.8 and "
                f"`-DMXNET_CUDA_ARCH={cc_text(cc)}` (CUDA {spec['cuda']} cannot target {sm(cc)})")
    return (f"{options}, or build MXNet 1.9.1 from source with `-DMXNET_CUDA_ARCH={cc_text(cc)}` "
            f"(CUDA {spec['cuda']} still targets {sm(cc)}, deprecated)")


def gpu_verdict(gpu, wheel=GPU_BUILD):
    """``(level, message)`` for one GPU dict (``name``, ``driver``, ``cc`` or None)."""
    spec = WHEELS[wheel]
    head = f"{gpu['name']} (driver {gpu.get('driver') or '?'}, compute capability "
    if gpu.get("cc") is None:
        return WARN, (head + "unknown): this driver's nvidia-smi has no compute_cap field; update the "
                      f"driver (>= {spec['min_driver']} is needed anyway) and rerun `vaegan doctor`")
    cc = gpu["cc"]
    head += f"{cc_text(cc)}, {sm(cc)}): "
    driver = gpu.get("driver")
    if driver and _version_tuple(driver) < _version_tuple(spec["min_driver"]):
        return FAIL, (head + f"driver {driver} is older than {spec['min_driver']}, the oldest that runs "
                      f"CUDA {spec['cuda']} programs; update the NVIDIA driver (>= {spec['toolkit_driver']} "
                      "recommended)")
    kind, arch = kernel_support(cc, wheel)
    if kind == "native":
        return OK, head + f"{wheel} {spec['version']} has {sm(arch)} kernels"
    if kind == "compatible":
        return OK, head + (f"{wheel} {spec['version']} runs its {sm(arch)} kernels (binary compatible "
                           f"within compute capability {cc // 10}.x)")
    if kind == "ptx":
        return WARN, head + f"kernels JIT-compiled from {sm(arch)} PTX at first use (slow start)"
    return FAIL, (head + f"{wheel} {spec['version']} has no kernels for {sm(cc)} (built for "
                  f"{', '.join(sm(a) for a in spec['sass'])}, no PTX): MXNet fails with \"no kernel image is "
                  f"available\". Instead: {what_to_do(cc, wheel)}")


def parse_nvidia_smi(text):
    """GPUs from ``nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv`` output."""
    gpus = []
    for line in text.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if not parts or parts[0].lower() == "name" or len(parts) < 2:
            continue   # the csv header
        name, driver = parts[0], parts[1]
        cc = None
        if len(parts) > 2 and parts[2] and parts[2][0].isdigit():
            major, _, minor = parts[2].partition(".")
            cc = int(major) * 10 + int(minor or 0)
        gpus.append({"name": name, "driver": driver, "cc": cc})
    return gpus


def query_gpus(nvidia_smi="nvidia-smi"):
    """``(gpus, note)``: the NVIDIA GPUs via nvidia-smi (or NVML through pynvml), note says why none."""
    exe = shutil.which(nvidia_smi)
    if exe:
        try:
            out = subprocess.run([exe, "--query-gpu=name,driver_version,compute_cap", "--format=csv"],
                                 capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as err:
            return [], f"{nvidia_smi} failed: {err}"
        if out.returncode == 0:
            return parse_nvidia_smi(out.stdout), None
        if "compute_cap" in (out.stdout + out.stderr):   # drivers before ~510 lack the field
            old = subprocess.run([exe, "--query-gpu=name,driver_version", "--format=csv"],
                                 capture_output=True, text=True, timeout=60)
            if old.returncode == 0:
                return parse_nvidia_smi(old.stdout), None
        return [], f"{nvidia_smi} exited {out.returncode}: {(out.stderr or out.stdout).strip()[:200]}"
    try:
        import pynvml
        pynvml.nvmlInit()
        gpus = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            major, minor = pynvml.nvmlDeviceGetCudaComputeCapability(h)
            name = pynvml.nvmlDeviceGetName(h)
            driver = pynvml.nvmlSystemGetDriverVersion()
            gpus.append({"name": name.decode() if isinstance(name, bytes) else name,
                         "driver": driver.decode() if isinstance(driver, bytes) else driver,
                         "cc": major * 10 + minor})
        return gpus, None
    except Exception:   # no pynvml, no driver: no NVIDIA GPU to report
        return [], "no nvidia-smi on PATH (and no NVML): no NVIDIA GPU visible"


def gpu_matrix_markdown(wheel=GPU_BUILD):
    """The README's GPU matrix: one row per GPU family, decided by :func:`kernel_support`."""
    spec = WHEELS[wheel]
    lines = [f"`{wheel}=={spec['version']}` (CUDA {spec['cuda']}) carries SASS for "
             f"{', '.join(sm(a) for a in spec['sass'])} and no PTX; it needs NVIDIA driver >= "
             f"{spec['min_driver']} ({spec['toolkit_driver']} or newer recommended). "
             "`vaegan doctor` applies the same table to the GPUs it finds.", "",
             "| compute capability | architecture | e.g. | runs the wheel? | what to do |",
             "|---|---|---|---|---|"]
    for cc, arch, examples in GPU_FAMILIES:
        kind, a = kernel_support(cc, wheel)
        runs = {"native": f"yes ({sm(a)} kernels)",
                "compatible": f"yes ({sm(a)} kernels, binary compatible within {cc // 10}.x)",
                "ptx": f"yes (JIT from {sm(a)} PTX)"}.get(kind, "**no** (no kernel image)")
        lines.append(f"| {cc_text(cc)} ({sm(cc)}) | {arch} | {examples} | {runs} | "
                     f"{'-' if kind else what_to_do(cc, wheel)} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------- facts
def _version_tuple(v):
    out = []
    for p in str(v).split("."):
        digits = "".join(ch for ch in p if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


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
    except metadata.PackageNotFoundError:
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
        from .data.mnist import DEBIAN_FASHION_MNIST, DataSourceUnavailable, mnist5k_csv_path
        from .data.idx import idx_folder_complete
        from .data.cache import default_cache_dir
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
        from .schedules_gluoncv import import_gluoncv
        return {"version": _dist_version("gluoncv"), "error": None, "module": import_gluoncv().__name__}
    except RuntimeError as err:
        return {"version": _dist_version("gluoncv"), "error": str(err)}


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
                           f"`pip install -c constraints.txt numpy=={pin}` (README, Pins)")
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
    out.extend(_diagnose_gpus(facts, ctx))
    return out


def _diagnose_gpus(facts, ctx):
    out = []
    gpu_build = facts["dists"].get(GPU_BUILD)
    want_gpu = (ctx or ("gpu" if gpu_build else "cpu")).startswith("gpu")
    gpus = facts["gpus"]
    level_off = FAIL if want_gpu else INFO   # a GPU problem only fails a GPU run
    if not gpus:
        out.append((level_off, "gpu", (facts.get("gpu_note") or "no NVIDIA GPU found")
                    + ("; use --ctx cpu, or run on a machine with an sm_50..sm_89 GPU" if want_gpu else "")))
        return out
    usable = 0
    for i, gpu in enumerate(gpus):
        level, msg = gpu_verdict(gpu)
        usable += level == OK
        if level == FAIL and not want_gpu:
            level = WARN
        out.append((level, f"gpu {i}", msg))
    if not gpu_build:
        out.append((FAIL if want_gpu else INFO, "gpu",
                    f"the installed mxnet is the CPU build: for the GPU, `make install DEVICE=gpu` "
                    f"({GPU_BUILD}; needs CUDA 11.2, cuDNN 8, NCCL 2)" if usable else
                    "the installed mxnet is the CPU build (no GPU here that the GPU build can use)"))
    elif facts["mxnet"].get("num_gpus") == 0 and usable:
        out.append((FAIL if want_gpu else WARN, "gpu", f"{GPU_BUILD} sees no GPU although nvidia-smi lists "
                    f"{len(gpus)}: check CUDA_VISIBLE_DEVICES and that CUDA 11.2 libraries are on LD_LIBRARY_PATH"))
    if want_gpu and not usable:
        out.append((FAIL, "gpu", "no GPU here can run this build: use --ctx cpu (`make install`, the CPU build)"))
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


def build_parser(prog="vaegan doctor"):
    p = argparse.ArgumentParser(prog=prog, description="Check that this machine can run the project.")
    p.add_argument("--ctx", default=None, help="the device you mean to train on: cpu or gpu "
                   "(default: gpu if mxnet-cu112 is installed, else cpu); GPU problems fail only a gpu check")
    p.add_argument("--json", action="store_true", help="print the collected facts as JSON")
    p.add_argument("--gpu-matrix", action="store_true", help="print the README's GPU matrix (markdown)")
    p.add_argument("--nvidia-smi", default="nvidia-smi", help=argparse.SUPPRESS)
    return p


def main(argv=None, facts=None):
    """``vaegan doctor`` / ``python -m vaegan_gluon.doctor``; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.gpu_matrix:
        print(gpu_matrix_markdown(), end="")
        return 0
    facts = facts or collect(nvidia_smi=args.nvidia_smi)
    checks = diagnose(facts, ctx=args.ctx)
    if args.json:
        print(json.dumps({"facts": facts, "checks": checks, "status": exit_status(checks)}, indent=2))
    else:
        print(render(checks))
    return exit_status(checks)


if __name__ == "__main__":
    sys.exit(main())
