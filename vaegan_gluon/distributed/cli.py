"""``vaegan launch -n WORKERS -s SERVERS [--launcher ...] [--hostfile FILE] [--timeout SEC] -- cmd``:
the command line of :func:`vaegan_gluon.distributed.launcher.launch` (also ``python -m vaegan_gluon.distributed``)."""
import argparse
import shlex
import signal
import sys

from .launcher import launch
from .procs import LAUNCHERS, LaunchError, validate


def _positive(convert, expected):
    """An argparse ``type``: ``convert(s)`` when it is > 0, else "expected <expected>, got ..."."""
    def parse(s):
        try:
            v = convert(s)
        except ValueError:
            raise argparse.ArgumentTypeError("expected %s, got %r" % (expected, s)) from None
        if not v > 0:
            raise argparse.ArgumentTypeError("expected %s, got %r" % (expected, v if convert is int else s))
        return v
    return parse


_positive_int = _positive(int, "an integer >= 1")
_positive_float = _positive(float, "a number of seconds > 0")


def build_parser(prog="vaegan launch"):
    p = argparse.ArgumentParser(
        prog=prog, usage="%(prog)s -n WORKERS [-s SERVERS] [--launcher {local,ssh,mpi}] "
                         "[--hostfile FILE] [--timeout SEC] [--log-dir DIR] -- command ...",
        description="Run a command as workers of MXNet's parameter-server kvstore (dist_sync), with "
                    "servers and a scheduler, using the dmlc tracker shipped in the mxnet wheel. "
                    "Never hangs: any failed process stops the whole job.",
        epilog="example: vaegan launch -n 2 -s 1 -- vaegan run mnist-vae-logreg --scale quick "
               "--kvstore dist_sync   (see docs/distributed.md)")
    p.add_argument("-n", "--num-workers", type=_positive_int, required=True, metavar="WORKERS")
    p.add_argument("-s", "--num-servers", type=_positive_int, default=None, metavar="SERVERS",
                   help="default: WORKERS")
    p.add_argument("--launcher", choices=LAUNCHERS, default="local")
    p.add_argument("-H", "--hostfile", default=None, metavar="FILE",
                   help="ssh/mpi: one host per line (host or host:port)")
    p.add_argument("--timeout", type=_positive_float, default=None, metavar="SEC",
                   help="kill everything and fail after SEC seconds")
    p.add_argument("--log-dir", default=None, metavar="DIR",
                   help="local: write <role>-<index>.log per process instead of sharing the terminal")
    p.add_argument("--host-ip", default=None, help="ssh/mpi: this machine's address as seen by the "
                                                   "hosts (default: the tracker's guess)")
    p.add_argument("-q", "--quiet", action="store_true", help="no launcher messages")
    return p


def launch_main(argv=None):
    """Entry point of ``vaegan launch``; returns the process exit status (0 ok, 1 failed, 2 usage)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if "--" in argv:
        i = argv.index("--")
        opts, command = argv[:i], argv[i + 1:]
    else:
        opts, command = argv, []
    if any(a in ("-h", "--help") for a in opts):
        parser.print_help()
        return 0
    if "--" in argv:
        args = parser.parse_args(opts)  # exits with status 2 and a message on bad options
    else:
        args, stray = parser.parse_known_args(opts)
        if stray:
            parser.error("no command after '--': write  vaegan launch [options] -- %s"
                         % " ".join(shlex.quote(a) for a in stray))
    if not command:
        parser.error("no command: put the program to run after '--', e.g. "
                     "vaegan launch -n 2 -s 1 -- python train.py")
    try:
        n_servers = validate(command, args.num_workers, args.num_servers, args.launcher,
                              args.hostfile, args.timeout)
    except ValueError as e:
        parser.error(str(e))

    def _term(signum, frame):  # SIGTERM to the launcher: clean up like Ctrl-C
        raise KeyboardInterrupt

    old = None
    try:
        old = signal.signal(signal.SIGTERM, _term)
    except ValueError:  # not in the main thread
        pass
    try:
        launch(command, args.num_workers, n_servers, launcher=args.launcher, hostfile=args.hostfile,
               timeout=args.timeout, log_dir=args.log_dir, host_ip=args.host_ip,
               verbose=not args.quiet)
    except LaunchError as e:
        print("vaegan launch: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vaegan launch: interrupted; all processes of the job were killed", file=sys.stderr)
        return 130
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)
    return 0
