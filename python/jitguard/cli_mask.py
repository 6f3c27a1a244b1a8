"""``jitguard mask``: masks stdin to stdout, streaming (a value split across reads is still caught)."""
from __future__ import annotations

import codecs
import json
import os
import sys
from typing import Dict, List

from .errors import ConfigError

HELP = "mask PII and secrets in stdin, writing the result to stdout"

_CHUNK = 64 * 1024


def add_arguments(parser) -> None:
    parser.add_argument("--entities", default=None,
                        help="comma-separated entities to mask (default: every built-in entity)")
    parser.add_argument("--style", default="label", choices=["label", "redact", "partial", "hash"],
                        help="how a value is replaced (default: label, e.g. [EMAIL])")
    parser.add_argument("--hash-key-env", default="JITGUARD_HASH_KEY", metavar="VAR",
                        help="environment variable holding the key of --style hash (default: %(default)s)")
    parser.add_argument("--custom", default=None, metavar="FILE",
                        help='JSON file with custom rules: [{"name": "EMPLOYEE_ID", "regex": "EMP-\\\\d{6}"}]')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="stdin is one JSON document; mask its strings")
    mode.add_argument("--sse", action="store_true",
                      help="stdin is an OpenAI-style Server-Sent Events stream; mask each choice's text")
    parser.add_argument("--stats", action="store_true", help="print findings per entity to stderr")
    parser.set_defaults(func=run)


def _masker(args):
    import jitguard

    options: Dict = {"style": args.style}
    if args.entities:
        entities = [e.strip().upper() for e in args.entities.split(",") if e.strip()]
        if not entities:
            raise ConfigError("--entities: empty list", reason="bad_value")
        options["entities"] = entities
    if args.style == "hash":
        key = os.environ.get(args.hash_key_env)
        if not key:
            raise ConfigError(f"--style hash needs a key in ${args.hash_key_env}", reason="missing_key")
        options["hash_key"] = key.encode()
    if args.custom:
        with open(args.custom, "r", encoding="utf-8") as f:
            try:
                options["custom"] = json.load(f)
            except ValueError as e:
                raise ConfigError(f"--custom: not valid JSON ({e})", reason="bad_json") from None
    return jitguard.Masker(**options)


def _read_chunks():
    fd = sys.stdin.fileno()
    while True:
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            return
        yield chunk


def run(args) -> int:
    masker = _masker(args)
    stats: Dict[str, int] = {}
    out = sys.stdout.buffer
    if args.json:
        text = b"".join(_read_chunks()).decode("utf-8")
        if args.stats:
            _count(stats, masker.find(text))
        out.write(masker.mask_json(text).encode())
    elif args.sse:
        sse = masker.sse_stream()
        for chunk in _read_chunks():
            piece = sse.write(chunk)
            if piece:
                out.write(piece)
                out.flush()
        out.write(sse.finish())
        if args.stats:
            stats.update(sse.counts)
    else:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        stream = masker.stream()
        for chunk in _read_chunks():
            text = decoder.decode(chunk)
            if text:
                masked = stream.write(text)
                if masked:
                    out.write(masked.encode())
                    out.flush()
        masked = stream.write(decoder.decode(b"", final=True)) + stream.finish()
        out.write(masked.encode())
        if args.stats:
            _count_stream(stats, stream)
    out.flush()
    if args.stats:
        for entity, n in sorted(stats.items()):
            print(f"{entity}\t{n}", file=sys.stderr)
        print(f"total\t{sum(stats.values())}", file=sys.stderr)
    return 0


def _count(stats: Dict[str, int], findings: List) -> None:
    for f in findings:
        stats[f.entity] = stats.get(f.entity, 0) + 1


def _count_stream(stats: Dict[str, int], stream) -> None:
    for entity, n in dict(stream.counts).items():
        stats[entity] = stats.get(entity, 0) + n
