"""``jitguard demo``: the guided tour (see jitguard.demo)."""
from __future__ import annotations

HELP = "run the end-to-end demo: tokens, policy, approvals, grants, live masking, audit"


def add_arguments(parser) -> None:
    from .demo import add_arguments as demo_arguments

    demo_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from .demo import run as demo_run

    return demo_run(args)
