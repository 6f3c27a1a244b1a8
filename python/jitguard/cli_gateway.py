"""``jitguard gateway``: runs the jitguard-gateway binary (an OpenAI-compatible reverse proxy in front
of an unmodified model server; see docs/deployment.md).

    jitguard gateway --config jitguard.json --upstream http://127.0.0.1:8000 --listen 127.0.0.1:8080 \\
        [--upstream-key-file FILE] [...every other jitguard-gateway option]

The binary is looked up next to the package (``jitguard/bin/jitguard-gateway``, where the wheel puts
it), then as ``$JITGUARD_GATEWAY_BIN``, then on ``PATH``; this process is replaced by it (exec), so
signals (SIGTERM, SIGHUP) reach the gateway directly.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from typing import List, Optional

from .errors import Error

HELP = "run jitguard-gateway, the OpenAI-compatible reverse proxy (all arguments pass through)"

BINARY = "jitguard-gateway"


def find_binary() -> Optional[str]:
    """The jitguard-gateway executable, or None."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.path.join(here, "bin", BINARY), os.path.join(here, BINARY)]
    env = os.environ.get("JITGUARD_GATEWAY_BIN")
    if env:
        candidates.insert(0, env)
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return shutil.which(BINARY)


def exec_gateway(argv: List[str]) -> int:
    """Replaces this process with jitguard-gateway and `argv` (raises Error when it is not found)."""
    binary = find_binary()
    if binary is None:
        raise Error(f"{BINARY} was not found next to the jitguard package, in $JITGUARD_GATEWAY_BIN or "
                    "on PATH (build it with `make build`; it needs libboost-dev)", reason="gateway_not_found")
    if argv and argv[0] == "--":
        argv = argv[1:]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(binary, [binary, *argv])
    return 1  # pragma: no cover (execv does not return)


def _run(args: argparse.Namespace) -> int:
    return exec_gateway(list(args.gateway_args))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("gateway_args", nargs=argparse.REMAINDER,
                        help="arguments for jitguard-gateway (--config, --upstream, --listen, ...)")
    parser.set_defaults(func=_run)
