"""The GPU half of ``vaegan doctor`` (:mod:`vaegan_gluon.doctor.environment`): which MXNet wheel has kernels for which
compute capability (:data:`WHEELS`, :data:`GPU_FAMILIES`, :func:`kernel_support`), docs/gpu.md's GPU
matrix, the GPUs nvidia-smi (or NVML) lists, and their verdicts. Imports no mxnet."""
import shutil
import subprocess

#: what each MXNet 1.9.1 wheel was compiled for (SASS = machine code per architecture; no PTX in either)
WHEELS = {
    "mxnet-cu112": {"version": "1.9.1", "cuda": "11.2", "sass": (50, 60, 70, 80, 86), "ptx": (),
                    "min_driver": "450.80.02", "toolkit_driver": "460.27.03"},
    "mxnet": {"version": "1.9.1", "cuda": None, "sass": (), "ptx": ()},
}
GPU_BUILD = "mxnet-cu112"

#: (compute capability x 10, architecture, example cards) -- the rows of docs/gpu.md's GPU matrix
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

OK, INFO, WARN, FAIL = "ok", "info", "warn", "FAIL"


def sm(cc):
    return f"sm_{cc}"


def cc_text(cc):
    return f"{cc // 10}.{cc % 10}"


def _version_tuple(v):
    out = []
    for p in str(v).split("."):
        digits = "".join(ch for ch in p if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


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
    options = ("run on the CPU (`make install`, `--ctx cpu`), use a GPU of compute capability 5.0 to 8.9 "
               "(Maxwell to Ampere and Ada)")
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
    """The GPU matrix of docs/gpu.md: one row per GPU family, decided by :func:`kernel_support`."""
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


def diagnose_gpus(facts, ctx):
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
