"""``vaegan doctor``: can this machine run the project, and on which devices?

:mod:`.environment` collects the facts (MXNet build, numpy pin, threads, memory, disk, data, gluoncv) and
judges them; :mod:`.gpu` knows which wheel has kernels for which GPU; :mod:`.cli` is the command. Nothing
here imports mxnet at module level, so the doctor runs when ``vaegan`` itself cannot start.
"""
from .cli import build_parser, main
from .environment import collect, diagnose, exit_status, render
from .gpu import gpu_matrix_markdown, gpu_verdict, kernel_support, query_gpus

__all__ = ["main", "build_parser", "collect", "diagnose", "exit_status", "render", "gpu_matrix_markdown",
           "gpu_verdict", "kernel_support", "query_gpus"]
