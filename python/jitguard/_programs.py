"""Runs the C++ programs that ship inside the wheel (jitguard/bin/<name>, installed there by CMake's
jitguard_install_program(); auditwheel points them at the wheel's own jitguard.libs/). A console
script in pyproject.toml names one of the functions below, so `pip install jitguard` puts the
program on PATH next to the `jitguard` CLI."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

BIN_DIR = Path(__file__).resolve().parent / "bin"


def program_path(name: str) -> Path:
    """The packaged program ``name``; FileNotFoundError when this build does not include it."""
    path = BIN_DIR / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise FileNotFoundError(f"{name} is not part of this jitguard build (looked in {BIN_DIR})")
    return path


def run(name: str, argv: Optional[List[str]] = None) -> int:
    """Replaces this process with the packaged program (signals and exit status are the program's)."""
    try:
        path = program_path(name)
    except FileNotFoundError as e:
        print(f"jitguard: {e}", file=sys.stderr)
        return 127
    args = sys.argv[1:] if argv is None else argv
    os.execv(str(path), [name, *args])
    return 0  # not reached
