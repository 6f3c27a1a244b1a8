"""``jitguard audit``: verify logs and replay sessions.

    jitguard audit verify LOG [LOG ...] [--key-file F | --key-env VAR] [--checkpoint RECORDS:HEAD]
    jitguard audit replay LOG --session ID [--key-file F | --key-env VAR]

``verify`` exits 0 when every log verifies, 1 otherwise (one line per log). ``replay`` prints the
session's records as JSON Lines in chain order; with a key it first verifies the log and refuses to
replay a log that does not verify.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Optional

from .audit import read_audit_log, verify_audit_log

HELP = "verify tamper-evident audit logs and replay sessions"


def _key(args: argparse.Namespace) -> Optional[bytes]:
    if args.key_file:
        with open(args.key_file, "rb") as f:
            return f.read().rstrip(b"\r\n")
    if args.key_env:
        value = os.environ.get(args.key_env)
        if value is None:
            raise ValueError(f"environment variable {args.key_env} is not set")
        return value.encode()
    return None


def _add_key_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--key-file", help="file holding the HMAC key (trailing newline ignored)")
    p.add_argument("--key-env", help="environment variable holding the HMAC key")


def _verify(args: argparse.Namespace) -> int:
    key = _key(args)
    if args.checkpoint and len(args.log) != 1:
        raise ValueError("--checkpoint applies to exactly one log")
    bad = 0
    for log in args.log:
        r = verify_audit_log(log, key, args.checkpoint)
        if r.ok:
            tail = " (torn last line: a crash cut it; everything before is intact)" if r.torn_tail else ""
            print(f"{log}: ok, {r.records} records, head {r.head}{tail}")
        else:
            bad += 1
            where = f" in {r.file}" if r.file else ""
            print(f"{log}: FAILED at record {r.first_bad}{where}: {r.reason} "
                  f"({r.records} records intact before it)")
    return 1 if bad else 0


def _replay(args: argparse.Namespace) -> int:
    key = _key(args)
    if key is not None:
        r = verify_audit_log(args.log, key)
        if not r.ok:
            print(f"jitguard: error: {args.log} does not verify (record {r.first_bad}: {r.reason}); "
                  "not replaying", file=sys.stderr)
            return 1
    n = 0
    for record in read_audit_log(args.log, args.session):
        sys.stdout.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")
        n += 1
    if n == 0:
        print(f"jitguard: no records for session {args.session!r}", file=sys.stderr)
        return 1
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = sub.add_parser("verify", help="verify the hash chain of one or more logs (rotated files included)")
    v.add_argument("log", nargs="+", help="active log file (path.1, path.2, ... are found automatically)")
    v.add_argument("--checkpoint", help="RECORDS:HEAD taken earlier; catches truncation")
    _add_key_options(v)
    v.set_defaults(func=_verify)
    r = sub.add_parser("replay", help="print one session's records in order")
    r.add_argument("log")
    r.add_argument("--session", required=True, help="session id")
    _add_key_options(r)
    r.set_defaults(func=_replay)
