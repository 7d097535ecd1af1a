"""Arguments shared by the commands: the source (--dsn | --ddl | --demo), output file."""

from __future__ import annotations

import atexit
import sys
from pathlib import Path

from studio.errors import SourceError
from studio.sources import open_source
from studio.sources.ddl import failure_report


def add_source_arguments(parser, *, schemas: bool = True) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--dsn", metavar="URL", help="a live PostgreSQL (libpq or SQLAlchemy URL); opened read-only")
    group.add_argument("--ddl", metavar="FILE", help="a schema file (pg_dump --schema-only, with or without data)")
    group.add_argument("--demo", action="store_true", help="the built-in repair and diagnostics demo")
    if schemas:
        parser.add_argument("--schema", action="append", metavar="NAME", help="only this schema (repeatable)")
    parser.add_argument(
        "--keep-going", action="store_true",
        help="with --ddl: load what PostgreSQL accepts and go on with notes, instead of exiting 2 on a "
        "statement that failed",
    )  # fmt: skip


def open_from_args(args):
    """The source the arguments name; a loaded file's sandbox is dropped when the command exits."""
    source = open_source(dsn=args.dsn, ddl=args.ddl, demo=args.demo, schemas=getattr(args, "schema", None))
    atexit.register(source.close)
    if source.failures and not args.keep_going:
        count = len(source.failures)
        raise SourceError(
            f"{source.label}: {count} statement{'s' * (count != 1)} did not load (fix them, or pass "
            f"--keep-going to go on without them):\n" + failure_report(source.label, source.failures)
        )
    return source


def add_output_argument(parser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")


def write_output(args, data: str | bytes) -> None:
    target = getattr(args, "output", None)
    if target:
        path = Path(target)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        return
    if isinstance(data, bytes):
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data if data.endswith("\n") else data + "\n")
