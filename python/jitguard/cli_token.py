"""``jitguard token verify``: verifies a bearer token against a JWKS and prints the identity."""
from __future__ import annotations

import json
import sys

from .errors import ConfigError

HELP = "verify access tokens"


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="token_command", metavar="SUBCOMMAND")
    verify = sub.add_parser("verify", help="verify one token and print its identity as JSON",
                            description="Verify one token (argument, or stdin with '-') against a JWKS; "
                                        "exit 0 and print the identity when valid, exit 1 with the "
                                        "rejection reason otherwise.")
    source = verify.add_mutually_exclusive_group(required=True)
    source.add_argument("--jwks", metavar="FILE", help="JWKS file")
    source.add_argument("--config", metavar="FILE", help="a jitguard config file (its tokens section)")
    verify.add_argument("--issuer", action="append", help="accepted issuer (repeatable)")
    verify.add_argument("--audience", action="append", help="accepted audience (repeatable)")
    verify.add_argument("--leeway", type=float, default=60.0, help="clock skew allowed, seconds (default 60)")
    verify.add_argument("--groups-claim", default="groups", help="claim holding the groups (default: groups)")
    verify.add_argument("--algorithms", default=None, help="comma-separated allowed algorithms")
    verify.add_argument("--now", type=float, default=None, help="verify as of this Unix time")
    verify.add_argument("token", nargs="?", default="-", help="the token, or '-' to read it from stdin")
    verify.set_defaults(subfunc=run_verify)
    def dispatch(args) -> int:
        if getattr(args, "subfunc", None) is None:
            parser.print_help(sys.stderr)
            return 2
        return args.subfunc(args)

    parser.set_defaults(func=dispatch)


def _verifier(args):
    import jitguard

    if args.config:
        with open(args.config, "r", encoding="utf-8") as f:
            try:
                config = json.load(f)
            except ValueError as e:
                raise ConfigError(f"--config: not valid JSON ({e})", reason="bad_json") from None
        tokens = config.get("tokens") if isinstance(config, dict) else None
        if not isinstance(tokens, dict):
            raise ConfigError("tokens: missing in --config", reason="missing_key")
        jwks = tokens.get("jwks")
        if jwks is None and tokens.get("jwks_file"):
            import os

            base = os.path.dirname(os.path.abspath(args.config))
            with open(os.path.join(base, tokens["jwks_file"]), "r", encoding="utf-8") as f:
                jwks = f.read()
        if jwks is None:
            raise ConfigError("tokens.jwks: --config needs jwks or jwks_file", reason="missing_key")
        return jitguard.TokenVerifier(jwks=jwks, issuer=args.issuer or tokens.get("issuer"),
                                      audience=args.audience or tokens.get("audience"),
                                      algorithms=tokens.get("algorithms"),
                                      leeway=float(tokens.get("leeway", args.leeway)),
                                      groups_claim=tokens.get("groups_claim", args.groups_claim))
    if not args.issuer:
        raise ConfigError("--issuer is required with --jwks", reason="missing_key")
    if not args.audience:
        raise ConfigError("--audience is required with --jwks", reason="missing_key")
    with open(args.jwks, "r", encoding="utf-8") as f:
        jwks = f.read()
    return jitguard.TokenVerifier(
        jwks=jwks, issuer=args.issuer if len(args.issuer) > 1 else args.issuer[0],
        audience=args.audience if len(args.audience) > 1 else args.audience[0],
        algorithms=args.algorithms.split(",") if args.algorithms else None,
        leeway=args.leeway, groups_claim=args.groups_claim)


def run_verify(args) -> int:
    token = sys.stdin.read() if args.token == "-" else args.token
    token = token.strip()
    if not token:
        raise ConfigError("no token given", reason="missing_token")
    identity = _verifier(args).verify(token, now=args.now)
    print(json.dumps({"valid": True, "subject": identity.subject, "issuer": identity.issuer,
                      "groups": list(identity.groups), "expires_at": identity.expires_at,
                      "token_id": identity.token_id}, indent=2))
    return 0
