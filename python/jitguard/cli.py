"""The ``jitguard`` command line. Each command group lives in its own module and registers itself
here through COMMANDS; errors are one clear line on stderr and a non-zero exit."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, List, Optional

from . import __version__
from .errors import Error

# (name, help, add_arguments(parser)) for each command group; the handler is set by add_arguments
# with parser.set_defaults(func=...).
COMMANDS: List[tuple] = []

# The command groups, in the order `jitguard --help` lists them.
from . import cli_audit, cli_demo, cli_gateway, cli_mask, cli_policy, cli_token  # noqa: E402

for _module, _name in ((cli_mask, "mask"), (cli_token, "token"), (cli_policy, "policy"), (cli_demo, "demo"),
                       (cli_audit, "audit"), (cli_gateway, "gateway")):
    COMMANDS.append((_name, _module.HELP, _module.add_arguments))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jitguard", description="jitguard command line")
    parser.add_argument("--version", action="version", version=f"jitguard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text, add_arguments in COMMANDS:
        add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["gateway"]:
        # Every argument belongs to jitguard-gateway (argparse would claim --options for itself).
        try:
            return cli_gateway.exec_gateway(list(argv[1:]))
        except (Error, OSError) as e:
            print(f"jitguard: error: {e}", file=sys.stderr)
            return 1
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Optional[Callable] = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args) or 0)
    except Error as e:
        print(f"jitguard: error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`jitguard mask < big | head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (OSError, ValueError) as e:
        print(f"jitguard: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
