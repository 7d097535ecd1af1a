"""`schema-studio verify bundle.zip (--ddl FILE | --dsn URL | --demo)`: prove a bundle on a scratch copy."""

from __future__ import annotations

import sys

from studio.bundle.verify import verify


def add_parser(sub) -> None:
    parser = sub.add_parser("verify", help="apply a bundle's ups and downs on a scratch copy and check the result")
    parser.add_argument("bundle", help="a bundle.zip from `schema-studio export`")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--ddl", metavar="FILE", help="the schema file (with rows) the bundle was made for")
    group.add_argument("--dsn", metavar="URL", help="the live database (schema + a bounded sample of rows is copied)")
    group.add_argument("--demo", action="store_true", help="the built-in demo")
    parser.set_defaults(run=run)


def run(args) -> int:
    result = verify(args.bundle, demo=args.demo, ddl=args.ddl, dsn=args.dsn)
    sys.stdout.write(result.text())
    return 0 if result.ok else 1
