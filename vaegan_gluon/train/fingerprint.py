"""The numerics fingerprint of a training run: which code and which arithmetic switches computed it.

Groups of runs are compared only when they were trained by the same arithmetic; every run records
``config["numerics"]`` (:func:`fingerprint`), and runs made before this module are backfilled from the git
commit they cite (:func:`legacy_fingerprint`, ``python -m vaegan_gluon.train.fingerprint --backfill DIR``).

Which files count (:data:`NUMERICS_FILES`): every ``.py`` and ``.cc`` under ``vaegan_gluon/`` *except* an
explicit list of modules, each with its reason, that cannot change what training computes. Excluding by
name rather than including by name errs the safe way: a new module counts until someone argues it out (a
needless inclusion only splits groups that could have been compared; a missed one would let different
arithmetic pass as the same). Sources are normalised first (docstrings, comments, formatting do not count).
A refactor proven bit-identical by a test may map its new fingerprint onto the old one in :data:`EQUIVALENT`.
"""
import argparse
import ast
import fnmatch
import hashlib
import json
import os
import subprocess
import sys

PACKAGE = "vaegan_gluon"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: The rule choosing the files that carry training arithmetic (paths from the repository root): every file
#: under ``under`` ending in one of ``suffixes``, minus the fnmatch patterns of ``exclude`` (pattern: reason).
#: Read and kept on purpose: utils.py (seed_everything, parse_ctx), train/checkpoint.py and
#: train/optim_state.py (resume and the NaN guard restore weights and optimiser states through them;
#: ``all_finite`` decides a NaN event), the package __init__ (thread and engine environment), data/, models/,
#: schedules.py, losses.py, the rest of train/ and the whole fast/ wing (kernels/*.cc included).
NUMERICS_FILES = {
    "under": PACKAGE + "/",
    "suffixes": (".py", ".cc"),
    "exclude": {
        "vaegan_gluon/__main__.py": "the CLI entry point",
        "vaegan_gluon/cli.py": "the command line: arguments -> a config (recorded in config.json)",
        "vaegan_gluon/doctor*": "environment diagnosis",
        "vaegan_gluon/report.py": "evaluation and report after training",
        "vaegan_gluon/viz.py": "pictures",
        "vaegan_gluon/inference.py": "model passes in predict mode for evaluation and pictures",
        "vaegan_gluon/metrics.py": "evaluation numbers of the trained model (metrics.json), not training",
        "vaegan_gluon/mode_coverage.py": "evaluation (digit classifier)",
        "vaegan_gluon/evaluation/*": "evaluation (extractors, scores)",
        "vaegan_gluon/claims*": "the claims board",
        "vaegan_gluon/experiments/*": "configs, folders, tables, notebooks: each run's full config is in config.json",
        "vaegan_gluon/notebook*": "notebook parameters -> a config (recorded)",
        "vaegan_gluon/distributed*": "the multi-machine launcher",
        "vaegan_gluon/train/kvsync.py": "multi-machine gradient sync (kvsync.create is None on one machine)",
        "vaegan_gluon/runlock.py": "the results-folder lock",
        "vaegan_gluon/train/callbacks.py": "progress bar, evolution frames (predict mode; every epoch is reseeded)",
        "vaegan_gluon/train/tensorboard.py": "logging",
        "vaegan_gluon/train/fingerprint.py": "this module",
    },
}

#: Switches that change the arithmetic (they enter the fingerprint). ``kernel_isa``: the fused BCE's AVX2 path
#: (glibc's vector expf/log1pf) differs from its scalar loops; only counted while ``fused_bce`` is on.
ARITHMETIC_SWITCHES = ("fused_bce", "kernel_isa", "hybridize", "optimizer", "ctx", "mxnet")
#: Recorded but left out of the fingerprint: bit-identical to stock Adam (tests/test_fastadam.py compares every
#: bit). NB ``VAEGAN_FAST_ADAM=0`` also leaves the kernel library unloaded, which turns the fused BCE off: the
#: fingerprint then moves through ``fused_bce``, not through ``fast_adam``.
#: ``fast`` (TrainConfig.fast): the cached-graph steps equal the plain ones bit for bit (tests/test_fast_wing.py)
#: once the fused BCE, which needs ``fast``, is off: ``fast: false`` moves the fingerprint through ``fused_bce``.
BIT_IDENTICAL_SWITCHES = ("fast", "fast_adam", "adam_multi")
#: TrainConfig.optimizer -> its arithmetic: "stockadam" is MXNet's kernel, bit-identical to "adam"'s
_OPTIMIZER_ARITHMETIC = {"adam": "adam", "stockadam": "adam", "multiadam": "multiadam", None: "adam"}
_OFF = ("0", "false", "no", "off")

#: ``{new_fingerprint: old_fingerprint}``: a code change that does not move the numerics adds its entry to
#: ``fingerprint_equivalent.json`` (data, so an entry does not itself change the code hash) in the same commit
#: as the bit-identity test that proves it (same statistics and parameters, every bit, old vs new).
EQUIVALENT_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fingerprint_equivalent.json")


def _equivalent():
    try:
        with open(EQUIVALENT_FILE) as f:
            return {k: v["same_as"] for k, v in json.load(f).items()}
    except FileNotFoundError:
        return {}


EQUIVALENT = _equivalent()


def canonical(fp):
    """The fingerprint ``fp`` (a string or a ``numerics`` dict) stands for, following :data:`EQUIVALENT`."""
    fp = fp.get("fingerprint") if isinstance(fp, dict) else fp
    seen = set()
    while fp in EQUIVALENT and fp not in seen:
        seen.add(fp)
        fp = EQUIVALENT[fp]
    return fp


# ---------------------------------------------------------------------------------------- the files
def is_numerics_file(path):
    """Does the repository path ``path`` carry training arithmetic (:data:`NUMERICS_FILES`)?"""
    rule = NUMERICS_FILES
    return (path.startswith(rule["under"]) and path.endswith(rule["suffixes"])
            and not any(fnmatch.fnmatchcase(path, pat) for pat in rule["exclude"]))


class WorkTree:
    """The package's sources in the working tree (or wherever it is installed)."""

    def __init__(self, root=REPO_ROOT):
        self.root = root

    def paths(self):
        out = []
        for dirpath, dirnames, files in os.walk(os.path.join(self.root, PACKAGE)):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            rel = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
            out.extend(f"{rel}/{f}" for f in files)
        return out

    def __call__(self, path):
        with open(os.path.join(self.root, path), encoding="utf-8") as f:
            return f.read()


class GitCommit:
    """The package's sources at ``commit`` of the repository at ``repo_dir`` (``git ls-tree`` / ``cat-file``)."""
    _blobs = {}   # blob sha -> text, shared: most files are the same blob across commits

    def __init__(self, commit, repo_dir=REPO_ROOT):
        self.commit, self.repo_dir = commit, repo_dir
        out = _git(repo_dir, "ls-tree", "-r", commit, "--", PACKAGE)
        self._sha = {}
        for line in out.splitlines():
            meta, path = line.split("\t", 1)
            if meta.split()[1] == "blob":
                self._sha[path] = meta.split()[2]

    def paths(self):
        return list(self._sha)

    def __call__(self, path):
        sha = self._sha[path]
        if sha not in self._blobs:
            self._blobs[sha] = _git(self.repo_dir, "cat-file", "blob", sha)
        return self._blobs[sha]


def _git(repo_dir, *args):
    return subprocess.run(["git", *args], cwd=repo_dir, capture_output=True, text=True, check=True).stdout


class _DropDocstrings(ast.NodeTransformer):
    """Remove every statement that is a bare string (docstrings, string 'comments'): they compute nothing."""

    def generic_visit(self, node):
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body:
                kept = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                                and isinstance(s.value.value, str))]
                setattr(node, field, kept or [ast.Pass()])
        return node


def _strip_line_comment(line):
    quote, i = None, 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif line.startswith("//", i):
            return line[:i]
        i += 1
    return line


def normalise(path, text):
    """``.py``: ``ast.dump`` of the module without docstrings; ``.cc``: the text without ``//`` comments,
    trailing spaces and blank lines. (``ast.dump`` is the running Python's: hash with the project's 3.11.)"""
    if path.endswith(".py"):
        try:
            return ast.dump(_DropDocstrings().visit(ast.parse(text)))
        except SyntaxError:   # an unparsable file still counts, by its text
            return "unparsable:" + text
    lines = (_strip_line_comment(line).rstrip() for line in text.splitlines())
    return "\n".join(line for line in lines if line.strip())


def code_hash(read_source):
    """sha256 (hex) over the sorted numerics files of ``read_source`` (:class:`WorkTree`, :class:`GitCommit`:
    ``.paths()`` and ``read_source(path) -> text``), each its path and normalised contents."""
    h = hashlib.sha256()
    for path in sorted(p for p in read_source.paths() if is_numerics_file(p)):
        h.update(path.encode() + b"\0" + normalise(path, read_source(path)).encode() + b"\0")
    return h.hexdigest()


# ------------------------------------------------------------------------------------- the switches
def _ctx_kind(ctx):
    """"cpu" or "gpu" from a ctx spec ("cpu", "gpu:0,1", a Context, a list: the first one's)."""
    if isinstance(ctx, (list, tuple)):
        ctx = ctx[0] if ctx else "cpu"
    kind = getattr(ctx, "device_type", None) or str(ctx or "cpu").strip().lower().partition(":")[0]
    return "gpu" if kind.startswith("gpu") else "cpu"


def _train_settings(config):
    if config is None:
        return {}
    if hasattr(config, "to_dict"):
        return config.to_dict()
    return dict(config.get("train", config) or {})


def _env_on(name):
    return os.environ.get(name, "1").strip().lower() not in _OFF


def _kernel_isa():
    from ..fast import kernels as fast_kernels
    return "avx2" if "-mavx2" in fast_kernels.compile_flags() else "baseline"


def switches(config=None, ctx="cpu"):
    """The runtime switches of a run of ``config`` (run config, its ``train`` dict or a TrainConfig) on
    ``ctx``: whether the fused sigmoid-BCE and the vectorised Adam run, the Adam call mode, hybridize, the
    optimiser, the device and MXNet's version. Loads (builds) the kernel library on the CPU."""
    import mxnet as mx
    from ..fast import kernels as fast_kernels
    from .config import TrainConfig
    train = _train_settings(config)
    kind = _ctx_kind(ctx)
    fast = bool(train.get("fast", TrainConfig.fast))
    fused = bool(fast_kernels.fused_bce_enabled(train, mx.Context(kind, 0)))   # the fast steps' own test
    optimizer = train.get("optimizer", TrainConfig.optimizer)
    return {"fused_bce": fused,
            "kernel_isa": _kernel_isa() if fused else None,
            "hybridize": bool(train.get("hybridize", TrainConfig.hybridize)),
            "optimizer": optimizer,
            "ctx": kind,
            "mxnet": mx.__version__,
            "fast": fast,
            "fast_adam": bool(fast and kind == "cpu" and optimizer == "adam" and fast_kernels.available()),
            "adam_multi": _env_on("VAEGAN_ADAM_MULTI")}


def kernels(ctx="cpu"):
    """The state of each kernel here: "loaded", "disabled by VAEGAN_..." or "unavailable: <reason>"."""
    from ..fast import kernels as fast_kernels
    if _ctx_kind(ctx) != "cpu":
        return {"adam_ext": "not used on gpu", "bce_ext": "not used on gpu"}
    s = fast_kernels.status()
    lib = "loaded" if s["available"] else (f"disabled by {s['reason']}" if s["reason"] == "VAEGAN_FAST_ADAM=0"
                                           else f"unavailable: {s['reason']}")
    bce = "disabled by VAEGAN_FUSED_BCE=0" if s["available"] and not _env_on("VAEGAN_FUSED_BCE") else lib
    return {"adam_ext": lib, "bce_ext": bce}


def _combine(code, sw):
    arith = {k: sw.get(k) for k in ARITHMETIC_SWITCHES}
    arith["optimizer"] = _OPTIMIZER_ARITHMETIC.get(arith["optimizer"], arith["optimizer"])
    return hashlib.sha256((code + json.dumps(arith, sort_keys=True)).encode()).hexdigest()[:16]


def cpu():
    """``{"model", "isa"}``: the CPU a run trained on and the instruction-set class oneDNN dispatches its
    kernels on (``avx512``: F, BW, VL and DQ, which its AVX-512 kernels need; ``avx2``; else the machine).
    Recorded beside the fingerprint, not in it: the same code sums in another order on another class, so two
    arms of one seed trained on two classes do not share their solo phase bit for bit (the board says so)."""
    import platform
    flags, model = set(), platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
                elif line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    isa = ("avx512" if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags else "avx2" if "avx2" in flags
           else platform.machine())
    return {"model": model, "isa": isa}


def fingerprint(config=None, ctx="cpu"):
    """``{"fingerprint", "code", "switches", "kernels", "cpu", "source"}`` of a run of ``config`` on ``ctx``
    with the working tree's code (see the module docstring); what a new run writes as ``config["numerics"]``."""
    code, sw = code_hash(WorkTree()), switches(config, ctx)
    return {"fingerprint": _combine(code, sw), "code": code[:16], "switches": sw, "kernels": kernels(ctx),
            "cpu": cpu(), "source": "recorded at run"}


def legacy_fingerprint(commit, repo_dir=REPO_ROOT, config=None):
    """:func:`fingerprint` from the sources at git ``commit``, with that commit's default switches: fused
    BCE iff its kernel source existed there (on the CPU), and this machine's ISA and MXNet."""
    import mxnet as mx
    try:
        sha = _git(repo_dir, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}").strip()
    except (subprocess.CalledProcessError, OSError):
        return {"fingerprint": None, "source": f"commit {commit} not in this repository"}
    src = GitCommit(sha, repo_dir)
    paths = set(src.paths())
    train = _train_settings(config)
    command = (config or {}).get("command") or ""
    words = command.split()
    kind = _ctx_kind(words[words.index("--ctx") + 1] if "--ctx" in words[:-1] else "cpu")
    cpu = kind == "cpu"
    kernels_dir = (f"{PACKAGE}/fast/kernels" if f"{PACKAGE}/fast/kernels/adam_ext.cc" in paths
                   else f"{PACKAGE}/train/kernels")
    bce_src, adam_src = f"{kernels_dir}/bce_ext.cc", f"{kernels_dir}/adam_ext.cc"
    fast = bool(train.get("fast", True))
    fused = cpu and fast and bool(train.get("fused_bce", True)) and bce_src in paths
    optimizer = train.get("optimizer") or "adam"
    fast_py = f"{PACKAGE}/fast/adam.py" if f"{PACKAGE}/fast/adam.py" in paths else f"{PACKAGE}/train/fastadam.py"
    sw = {"fused_bce": fused, "kernel_isa": _kernel_isa() if fused else None,
          "hybridize": bool(train.get("hybridize", True)), "optimizer": optimizer, "ctx": kind,
          "mxnet": mx.__version__, "fast": fast,
          "fast_adam": cpu and fast and optimizer == "adam" and adam_src in paths,
          "adam_multi": fast_py in paths and "VAEGAN_ADAM_MULTI" in src(fast_py)}
    state = {p: ("source at the commit, assumed loaded" if p in paths else "absent at the commit")
             for p in (adam_src, bce_src)}
    code = code_hash(src)
    return {"fingerprint": _combine(code, sw), "code": code[:16], "switches": sw,
            "kernels": {"adam_ext": state[adam_src], "bce_ext": state[bce_src]},
            "source": f"backfilled from git commit {sha}"}


def resume_note(run_dir, numerics):
    """One line when the fingerprint in ``run_dir``'s config.json differs from ``numerics`` (which then
    records ``resumed_from``; carried over from an earlier resume too), else None."""
    from ..utils import read_json_object
    path = os.path.join(run_dir, "config.json")
    if not os.path.exists(path):
        return None
    saved = read_json_object(path).get("numerics") or {}
    if not isinstance(saved, dict):
        saved = {}
    if saved.get("resumed_from"):
        numerics["resumed_from"] = saved["resumed_from"]
    if not saved.get("fingerprint"):
        numerics.setdefault("resumed_from", None)
        return f"resume: {run_dir} records no numerics fingerprint; continuing as {numerics['fingerprint']}"
    if canonical(saved["fingerprint"]) == canonical(numerics["fingerprint"]):
        return None
    numerics["resumed_from"] = saved["fingerprint"]
    changed = (["code"] if saved.get("code") != numerics["code"] else []) + [
        f"{k} {saved.get('switches', {}).get(k)!r}->{numerics['switches'].get(k)!r}" for k in ARITHMETIC_SWITCHES
        if saved.get("switches", {}).get(k) != numerics["switches"].get(k)]
    return (f"resume: numerics fingerprint {saved['fingerprint']} -> {numerics['fingerprint']} "
            f"({', '.join(changed) or 'equivalence table'}): the run mixes two arithmetics")


# ---------------------------------------------------------------------------------------- backfill
def run_dirs(root):
    """Every folder under ``root`` holding config.json and metrics.json, sorted."""
    return sorted(d for d, _, files in os.walk(root) if "config.json" in files and "metrics.json" in files)


def backfill(root, repo_dir=REPO_ROOT, dry_run=False):
    """Add ``numerics`` (:func:`legacy_fingerprint` of the run's own ``commit``) to every run's config.json
    under ``root`` that lacks it; returns the number of files changed."""
    from ..utils import read_json, write_json
    changed, cache = 0, {}
    for d in run_dirs(root):
        path = os.path.join(d, "config.json")
        cfg = read_json(path)
        if "numerics" in cfg:
            continue
        commit = cfg.get("commit")
        if not commit:
            cfg["numerics"] = {"fingerprint": None, "source": "no commit recorded in config.json"}
        else:
            key = (commit, json.dumps(_train_settings(cfg), sort_keys=True), cfg.get("command"))
            if key not in cache:
                cache[key] = legacy_fingerprint(commit, repo_dir, cfg)
            cfg["numerics"] = cache[key]
        if not dry_run:
            write_json(path, cfg)
        changed += 1
    return changed


def split_table(root):
    """Markdown: fingerprint -> number of runs, commits, experiment names, for the runs under ``root``."""
    from ..utils import read_json
    groups = {}
    for d in run_dirs(root):
        cfg = read_json(os.path.join(d, "config.json"))
        fp = (cfg.get("numerics") or {}).get("fingerprint")
        g = groups.setdefault(fp, {"runs": 0, "commits": set(), "names": set()})
        g["runs"] += 1
        g["commits"].add((cfg.get("commit") or "none")[:7])
        g["names"].add(cfg.get("name") or os.path.basename(d))
    lines = ["| fingerprint | runs | commits | experiments |", "|---|---:|---|---|"]
    for fp, g in sorted(groups.items(), key=lambda kv: (-kv[1]["runs"], str(kv[0]))):
        lines.append(f"| {fp or '(none)'} | {g['runs']} | {', '.join(sorted(g['commits']))} | "
                     f"{', '.join(sorted(g['names']))} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m vaegan_gluon.train.fingerprint",
                                description="Print this checkout's numerics fingerprint, or backfill old runs.")
    p.add_argument("--backfill", metavar="DIR", help="add numerics to every run's config.json under DIR lacking it")
    p.add_argument("--table", metavar="DIR", help="print how the runs under DIR split by fingerprint")
    p.add_argument("--repo", default=REPO_ROOT, help="the git repository holding the runs' commits")
    p.add_argument("--dry-run", action="store_true", help="with --backfill: write nothing")
    args = p.parse_args(argv)
    if args.backfill:
        n = backfill(args.backfill, args.repo, args.dry_run)
        print(f"{'would add' if args.dry_run else 'added'} numerics to {n} config.json under {args.backfill}")
        print(split_table(args.backfill))
    elif args.table:
        print(split_table(args.table))
    else:
        print(json.dumps(fingerprint(), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
