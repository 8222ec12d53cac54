"""``python -m qbo_sandbox --port P --data DIR [--seed demo|empty] [--realm ID]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qbo_sandbox.seeds import SEEDS
from qbo_sandbox.server import SandboxServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qbo_sandbox",
                                     description="A local QuickBooks Online stand-in (not Intuit's service).")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data", type=Path, required=True, help="directory that keeps the company")
    parser.add_argument("--seed", choices=SEEDS, default="demo", help="for a new directory only")
    parser.add_argument("--realm", default=None, help="company id (realm) for a new directory")
    parser.add_argument("--no-throttle", action="store_true", help="do not enforce QBO's rate limits")
    args = parser.parse_args(argv)
    try:
        server = SandboxServer(args.data, seed=args.seed, realm=args.realm, port=args.port, host=args.host,
                               throttle=not args.no_throttle)
    except (ValueError, OSError) as exc:
        print(f"qbo_sandbox: {exc}", file=sys.stderr)
        return 2
    try:
        server.start()
    except OSError as exc:
        print(f"qbo_sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    print(f"QBO sandbox (local stand-in) at {server.url}  realm {server.realm}", flush=True)
    print(f"base_url={server.url}", flush=True)
    print(f"realm={server.realm}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
