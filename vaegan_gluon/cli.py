"""The ``vaegan`` command line.

::

    vaegan list                                   every experiment and sweep, with the scales
    vaegan run NAME [--scale quick|first|medium|full] [--set key=value ...] [--data PATH]
                    [--ctx cpu|gpu:0,1] [--resume [--allow-other-data] | --overwrite] [--results DIR]
    vaegan sweep NAME [PARAM v1 v2 ...] [same options as run]
    vaegan report RESULTS_DIR                     re-render a results folder's README.md
    vaegan report --table DIR [DIR ...] [--thumbnails DIR]
                                                  one markdown results table (the README's)
    vaegan evaluate RUN_DIR [--extractor NAME] [--n N]
                                                  re-score a finished run in a shipped feature space
    vaegan extractors list | train NAME           the shipped feature extractors; retrain one
    vaegan bench ...                              python -m benchmarks ...
    vaegan launch -n 2 -s 1 -- vaegan run ...     MXNet parameter-server job (vaegan_gluon.distributed)
    vaegan doctor [--ctx cpu|gpu] [--gpu-matrix]  can this machine run the project? (exit 1: no)

Values of ``--set`` follow JSON rules (``2e-4``, ``true``, ``null``, ``[1, 2]``); anything else is a
string. Unknown names, keys or values exit with status 2 and a message listing what is valid.
"""
import argparse
import importlib.util
import os
import subprocess
import sys

try:   # mxnet may be unusable (numpy lifted, no libcuda.so.1): then only `vaegan doctor` runs
    from .experiments import DEFAULT_CLI_SCALE, EXPERIMENTS, SCALES, SWEEPS, list_experiments, parse_overrides
    _IMPORT_ERROR = None
except Exception as _err:  # noqa: BLE001
    _IMPORT_ERROR = _err

USAGE_ERROR = 2


class CLIError(Exception):
    """A user error: printed as ``vaegan: error: ...`` with exit status 2, no traceback."""


def _add_run_options(p):
    p.add_argument("--scale", default=DEFAULT_CLI_SCALE, choices=SCALES,
                   help=f"quick (CI, seconds), medium (a notebook, minutes), full (the study's settings); "
                        f"default {DEFAULT_CLI_SCALE}")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting, e.g. --set train.lr=2e-4 --set vae.n_latent=8 "
                        "--set data.n_train=100 (repeatable)")
    p.add_argument("--data", default=None, metavar="PATH",
                   help="train on this folder of images instead of the configured source")
    p.add_argument("--ctx", default="cpu", help="cpu, gpu, gpu:0,1 (default cpu)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", help="continue from the folder's latest checkpoint")
    g.add_argument("--overwrite", action="store_true", help="delete an existing results folder first")
    p.add_argument("--results", default="results", metavar="DIR", help="results root (default results/)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-checkpoints", action="store_true", help="delete checkpoints/ when done")
    p.add_argument("--kvstore", default="device", help="device (default) or dist_sync under `vaegan launch`")


def _folders_command(sub, name, metavar, help, description, folders_help=None):
    """Sub-command ``name`` over results folders: its parser, with the folders as ``args.run_dirs``."""
    p = sub.add_parser(name, help=help, description=description)
    p.add_argument("run_dirs", metavar=metavar, nargs="+", help=folders_help)
    return p


def build_parser():
    p = argparse.ArgumentParser(prog="vaegan", description="VAEs trained against discriminators: the "
                                "experiments of the learnable-loss VAE-GAN study, by name.")
    sub = p.add_subparsers(dest="command",
                           metavar="{list,run,sweep,report,claims,evaluate,extractors,bench,launch,doctor}")
    sub.required = True
    sub.add_parser("list", help="list experiments and sweeps")
    r = sub.add_parser("run", help="run one experiment", description="Run one named experiment.")
    r.add_argument("name", help="experiment name (vaegan list)")
    _add_run_options(r)
    r.add_argument("--allow-other-data", action="store_true",
                   help="with --resume: continue even though the data differs from what the folder's "
                        "config.json records (refused by default)")
    r.add_argument("--tensorboard", default=None, metavar="DIR",
                   help="also write TensorBoard logs here: every CSV column and the reconstruction grid per "
                        "epoch, the final metrics (tensorboard --logdir DIR)")
    s = sub.add_parser("sweep", help="run a sweep over one hyperparameter",
                       description="Run a named sweep (vaegan sweep sweep-disc-weight) or any experiment over "
                                   "values of one setting (vaegan sweep anime-conv-vae-resnet train.disc_weight 1 10).")
    s.add_argument("name", help="sweep or experiment name")
    s.add_argument("param", nargs="?", default=None, help="dotted key, e.g. train.disc_weight")
    s.add_argument("values", nargs="*", help="values of PARAM")
    s.add_argument("--column", default=None, help="training statistic overlaid across runs (default pbp_loss)")
    _add_run_options(s)
    rep = _folders_command(sub, "report", "RESULTS_DIR",
                           "re-render a results folder's README.md, or print a results table",
                           "Re-render each results folder's README.md; with --table print one "
                           "markdown table of their metrics and commands instead (the README's).")
    rep.add_argument("--table", action="store_true", help="print a markdown table, one row per folder")
    rep.add_argument("--thumbnails", metavar="DIR", default=None,
                     help="with --table: write small copies of each run's reconstructions here and show them")
    rep.add_argument("--thumbnail-width", type=int, default=300)
    rep.add_argument("--readme", default=None, metavar="FILE",
                     help="with --table: also put the table into FILE between its results markers")
    cl = _folders_command(sub, "claims", "RESULTS_DIR", "the studies' claims with verdicts, from run folders",
                          "Score the studies' claims (vaegan_gluon.claims.catalogue) over run folders: "
                          "mean ± sd over seeds, a verdict each; writes claims.json and claims.md.",
                          folders_help="run folders, or folders holding them; `plan [BOARD.json]` prints the "
                                       "seeds and CPU hours each claim needs (--out FILE writes it); `run` works "
                                       "through the plan's runs one at a time, resumable (--only, --max-hours)")
    cl.add_argument("--scale", default=None, help="only runs at this scale")
    cl.add_argument("--only", default=None, metavar="ID,...", help="run: only the groups of these claims")
    cl.add_argument("--max-hours", type=float, default=None, help="run: stop starting runs after this long")
    cl.add_argument("--restart", action="store_true", help="run: a new queue with the current code")
    cl.add_argument("--out", default=None, metavar="DIR", help="write claims.json and claims.md here (plan: a file)")
    cl.add_argument("--readme", default=None, metavar="FILE",
                    help="also put the table into FILE between its claims markers (the project's README.md)")
    cl.add_argument("--keep", default=None, metavar="DIR",
                    help="copy the small outputs (config, metrics, statistics) of every run a claim rests on "
                         "into DIR (e.g. results/reference/claims_runs); run: keep each finished run there "
                         "instead of ./results/reference/claims_runs (a campaign in a worktree keeps into the "
                         "main checkout, so moving the worktree loses nothing)")
    ev = _folders_command(sub, "evaluate", "RUN_DIR", "re-score a finished run (FID, KID, precision/recall, coverage)",
                          "Re-score finished results folders (old runs too) in a shipped feature "
                          "space; updates metrics.json and the README.md report.")
    ev.add_argument("--extractor", default=None,
                    help="mnist, fashion-mnist, faces, inception or none (default: from the run's data)")
    ev.add_argument("--n", type=int, default=None, help="score at most N held-out images (and N samples)")
    ex = sub.add_parser("extractors", help="list or retrain the shipped feature extractors")
    ex.add_argument("action", choices=["list", "train"])
    ex.add_argument("name", nargs="?", default=None, help="extractor to train")
    ex.add_argument("--epochs", type=int, default=None)
    sub.add_parser("bench", help="throughput/memory benchmarks (python -m benchmarks)", add_help=False)
    sub.add_parser("launch", help="run a command as MXNet parameter-server workers", add_help=False)
    sub.add_parser("doctor", help="check this machine: mxnet build, numpy pin, threads, memory, data, GPUs",
                   add_help=False)
    return p


def cmd_list(args):
    exps = list_experiments(include_sweeps=False)
    width = max(map(len, list(exps) + list(SWEEPS)))
    print("Experiments (vaegan run NAME [--scale quick|first|medium|full]):")
    for name, desc in exps.items():
        print(f"  {name:<{width}}  {desc}")
    print("\nSweeps (vaegan sweep NAME):")
    for name, spec in SWEEPS.items():
        print(f"  {name:<{width}}  {spec['description']}")
    print(f"\nScales: {', '.join(SCALES)} (default {DEFAULT_CLI_SCALE}); notebooks read VAEGAN_SCALE (default medium).")
    return 0


def _overrides(args):
    try:
        return parse_overrides(args.overrides)
    except ValueError as err:
        raise CLIError(str(err)) from None


def _fail(status, message):
    """Print ``vaegan: error: message`` on stderr (no traceback) and return the exit ``status``."""
    print(f"vaegan: error: {message}", file=sys.stderr)
    return status


def _one_line(err):
    """An exception's message on one line (MXNet's and some libraries' messages span several)."""
    return " ".join(str(err).split()) or type(err).__name__


def _check_data(args):
    if args.data is not None and not os.path.isdir(os.path.expanduser(args.data)):
        what = "is a file, not a folder" if os.path.exists(args.data) else "does not exist"
        raise CLIError(f"--data {args.data} {what}: give a folder of images (.png, .jpg, ...; searched "
                       "recursively), or leave --data out to use the experiment's own data")


def _check_ctx(args):
    """``--ctx`` checked before anything runs: cpu, cpu:0,1, gpu, gpu:0,1 (GPUs that exist)."""
    import re
    if not re.fullmatch(r"(cpu|gpu)(:\d{1,3}(,\d{1,3})*)?", str(args.ctx).strip().lower()):
        raise CLIError(f"--ctx {args.ctx!r}: use cpu, cpu:0,1, gpu or gpu:0,1")
    from .utils import parse_ctx
    try:
        parse_ctx(args.ctx)
    except (ValueError, RuntimeError) as err:
        raise CLIError(f"--ctx {args.ctx}: {err}") from None


def cmd_run(args):
    from .experiments import run_experiment
    _check_data(args)
    _check_ctx(args)
    if args.name in SWEEPS:
        print(f"{args.name} is a sweep: running `vaegan sweep {args.name}`", flush=True)
        args.param, args.values, args.column = None, [], None
        return cmd_sweep(args)
    if args.name not in EXPERIMENTS:
        raise CLIError(f"unknown experiment {args.name!r}; valid names: "
                       f"{', '.join(list(EXPERIMENTS) + list(SWEEPS))}")
    result = run_experiment(args.name, args.scale, _overrides(args), data_path=args.data, ctx=args.ctx,
                            resume=args.resume, overwrite=args.overwrite, results_root=args.results,
                            progress=not args.no_progress, keep_checkpoints=not args.no_checkpoints,
                            kvstore=args.kvstore, tensorboard=args.tensorboard,
                            allow_other_data=args.allow_other_data)
    if result.metrics is None:   # distributed worker other than rank 0
        return 0
    _print_metrics(result.metrics)
    print(f"results: {result.run_dir}")
    print(f"report:  {os.path.join(result.run_dir, 'README.md')}")
    return 0


def _print_metrics(m):
    keys = ("recon_bce", "recon_mse", "neg_elbo", "blur_recon", "blur_samples", "disc_acc_real", "disc_acc_fake",
            "train_seconds", "train_images_per_s")
    parts = [f"{k}={m[k]:.4g}" for k in keys if isinstance(m.get(k), (int, float))]
    print("metrics: " + ", ".join(parts))


def cmd_sweep(args):
    from .experiments.sweep import run_sweep
    _check_data(args)
    _check_ctx(args)
    if args.name not in SWEEPS and args.name not in EXPERIMENTS:
        raise CLIError(f"unknown sweep or experiment {args.name!r}; sweeps: {', '.join(SWEEPS)}; "
                       f"experiments: {', '.join(EXPERIMENTS)}")
    if args.param is not None and not args.values:
        raise CLIError(f"give values after the parameter, e.g. vaegan sweep {args.name} {args.param} 1 10")
    summary, plot = run_sweep(args.name, args.param, args.values or None, scale=args.scale,
                              overrides=_overrides(args), data_path=args.data, ctx=args.ctx, resume=args.resume,
                              overwrite=args.overwrite, results_root=args.results,
                              progress=not args.no_progress, column=args.column,
                              keep_checkpoints=not args.no_checkpoints)
    import pandas as pd
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(summary.drop(columns=["run_dir"]).to_string(index=False))
    print(f"sweep:   {os.path.dirname(plot)}")
    print(f"overlay: {plot}")
    return 0


def cmd_report(args):
    from . import report
    for d in args.run_dirs:
        if not os.path.exists(os.path.join(d, "config.json")):
            raise CLIError(f"{d} is not a results folder (no config.json)")
        if args.table and not os.path.exists(os.path.join(d, "metrics.json")):
            raise CLIError(f"{d} has no metrics.json (an unfinished run?): finish it with "
                           f"`vaegan run ... --resume` or leave it out of the table")
    if args.table:
        from .experiments import results_markdown
        table = results_markdown(args.run_dirs, thumbnail_dir=args.thumbnails, thumbnail_width=args.thumbnail_width)
        print(table)
        if args.readme:
            from .experiments.tables import README_BEGIN, README_END
            from .utils import splice_between
            try:
                print("written: " + splice_between(args.readme, table + "\n", README_BEGIN, README_END))
            except (OSError, ValueError) as err:
                raise CLIError(str(err)) from None
        return 0
    for d in args.run_dirs:
        print(f"report: {report.write(d)}")
    return 0


def cmd_claims_plan(args):
    """``vaegan claims plan [BOARD.json] [--out FILE]``: seeds and CPU hours each claim needs."""
    import json
    from .claims.plan import SPEED_FILE, make_plan, plan_markdown, read_speed
    board = args.run_dirs[1] if len(args.run_dirs) > 1 else os.path.join("results", "reference", "claims.json")
    try:
        with open(board) as f:
            table = json.load(f)
    except (OSError, ValueError) as err:
        raise CLIError(f"{board}: {err}; make it with `vaegan claims RUN_DIR... --out DIR`") from None
    from .experiments.config import get_config
    try:
        speed = read_speed()
    except (OSError, ValueError) as err:
        raise CLIError(f"{SPEED_FILE}: {err}; rewrite it with `python -m benchmarks --render JSON --speed-out "
                       f"{SPEED_FILE}`") from None
    md = plan_markdown(make_plan(table, kept=os.path.join(os.path.dirname(board), "claims_runs"), config_of=get_config,
                                 speed=speed))
    print(md, end="")
    if args.out:
        with open(args.out, "w") as f:
            f.write(md)
        print(f"written: {args.out}")
    return 0


def cmd_claims(args):
    from .claims import build_claims, keep_small_outputs, readme_markdown, splice_readme, write_claims
    if args.run_dirs[0] == "plan" and not os.path.isdir("plan"):
        return cmd_claims_plan(args)
    if args.run_dirs[0] == "run" and not os.path.isdir("run"):
        from .experiments.campaign import run_campaign
        only = [x for x in (args.only or "").split(",") if x] or None
        try:
            run_campaign(only=only, max_hours=args.max_hours, restart=args.restart,
                         **({"kept": args.keep} if args.keep else {}))
        except (RuntimeError, OSError) as err:
            raise CLIError(str(err)) from None
        return 0
    try:
        from .experiments.config import get_config
        table = build_claims(args.run_dirs, scale=args.scale, config_of=get_config)
    except (FileNotFoundError, ValueError) as err:
        raise CLIError(str(err)) from None
    print(readme_markdown(table), end="")
    if args.out:
        print("written: " + ", ".join(write_claims(table, args.out)))
    if args.keep:
        print(f"kept the small outputs of {len(keep_small_outputs(table, args.keep))} runs in {args.keep}")
    if args.readme:
        try:
            print("written: " + splice_readme(args.readme, readme_markdown(table)))
        except (OSError, ValueError) as err:
            raise CLIError(str(err)) from None
    return 0


def cmd_evaluate(args):
    from .experiments.rescore import evaluate_run
    for d in args.run_dirs:
        try:
            m = evaluate_run(d, extractor=args.extractor, n=args.n)
        except FileNotFoundError as err:
            raise CLIError(str(err)) from None
        keys = ("fid_recon", "fid_samples", "fid_data", "fid_mean_image", "kid_samples", "precision", "recall",
                "arith_success")
        print(f"{d}: extractor={m.get('extractor')} " + ", ".join(
            f"{k}={m[k]:.4g}" for k in keys if isinstance(m.get(k), (int, float))))
        for w in m.get("warnings") or []:
            print(f"  warning: {w}")
    return 0


def cmd_extractors(args):
    from .evaluation.extractors import NAMES, check_name, read_manifest
    if args.action == "list":
        manifest = read_manifest()
        for name in NAMES:
            e = manifest.get(name)
            print(f"  {name:<14} " + (f"held-out accuracy {e['held_out_accuracy']:.4f}, {e['bytes'] / 1e6:.2f} MB, "
                                      f"sha256 {e['sha256'][:12]}..." if e else "not trained"))
        return 0
    if not args.name:
        raise CLIError(f"name the extractor to train: one of {', '.join(NAMES)}")
    from .evaluation.train import train_extractor
    train_extractor(check_name(args.name), epochs=args.epochs, log=lambda s: print(s, flush=True))
    return 0


def _benchmarks_location():
    """(cwd or None) from which ``python -m benchmarks`` works: installed, or the repository checkout."""
    if importlib.util.find_spec("benchmarks") is not None:
        return None
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.exists(os.path.join(repo, "benchmarks", "__main__.py")):
        return repo
    raise CLIError("the benchmarks package is not available: it ships in the repository checkout "
                   "(benchmarks/), not in the wheel; run `vaegan bench` from a clone")


def cmd_bench(argv):
    repo = _benchmarks_location()
    env = dict(os.environ)
    if repo:
        env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.call([sys.executable, "-m", "benchmarks"] + list(argv), env=env)


def cmd_launch(argv):
    try:
        from .distributed.cli import launch_main
    except ImportError as err:
        raise CLIError(f"vaegan launch is not available: {err}") from None
    return launch_main(list(argv))


def main(argv=None):
    """Entry point of the ``vaegan`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "doctor":   # before anything that imports mxnet
        from .doctor.cli import main as doctor_main
        return doctor_main(argv[1:])
    if _IMPORT_ERROR is not None:
        return _fail(1, f"the package cannot start ({type(_IMPORT_ERROR).__name__}: "
                        f"{str(_IMPORT_ERROR).splitlines()[0] if str(_IMPORT_ERROR) else ''}); run `vaegan doctor`")
    try:
        # bench and launch pass everything after their name to their own parsers
        if argv and argv[0] in ("bench", "launch"):
            return (cmd_bench if argv[0] == "bench" else cmd_launch)(argv[1:])
        args = build_parser().parse_args(argv)
        return {"list": cmd_list, "run": cmd_run, "sweep": cmd_sweep, "report": cmd_report,
                "claims": cmd_claims, "evaluate": cmd_evaluate, "extractors": cmd_extractors}[args.command](args)
    except (CLIError, ValueError) as err:
        return _fail(USAGE_ERROR, _one_line(err))
    except FileExistsError as err:
        return _fail(USAGE_ERROR, f"{_one_line(err)} (or pass --overwrite)")
    except FileNotFoundError as err:   # a path the user gave (data, attributes, run folder)
        return _fail(USAGE_ERROR, _one_line(err))
    except RuntimeError as err:  # TrainingDiverged, no GPU, ...: a message, not a traceback
        if type(err).__name__ == "TrainingStopped":   # SIGTERM: the run stopped cleanly, 128 + 15 as a shell says
            print(f"vaegan: {_one_line(err)}", file=sys.stderr)
            return 143
        return _fail(1, f"{type(err).__name__}: {_one_line(err)}")
    except OSError as err:   # disk full, permission denied, ...
        return _fail(1, _one_line(err))
    except KeyboardInterrupt:
        print("vaegan: interrupted (continue with --resume)", file=sys.stderr)
        return 130

if __name__ == "__main__":
    sys.exit(main())
