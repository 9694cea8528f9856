"""``vaegan doctor [--ctx cpu|gpu] [--json] [--gpu-matrix]`` (also ``python -m vaegan_gluon.doctor``)."""
import argparse
import json

from .environment import collect, diagnose, exit_status, render
from .gpu import gpu_matrix_markdown


def build_parser(prog="vaegan doctor"):
    p = argparse.ArgumentParser(prog=prog, description="Check that this machine can run the project.")
    p.add_argument("--ctx", default=None, help="the device you mean to train on: cpu or gpu "
                   "(default: gpu if mxnet-cu112 is installed, else cpu); GPU problems fail only a gpu check")
    p.add_argument("--json", action="store_true", help="print the collected facts as JSON")
    p.add_argument("--gpu-matrix", action="store_true", help="print the GPU matrix of docs/gpu.md (markdown)")
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

