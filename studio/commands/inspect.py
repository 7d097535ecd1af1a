"""`schema-studio inspect`: the model as JSON or text."""

from __future__ import annotations

import json
import sys

from studio.commands.common import add_output_argument, add_source_arguments, open_from_args, write_output
from studio.summary import catalog_text, inspect_json


def add_parser(sub) -> None:
    parser = sub.add_parser("inspect", help="read a schema and print its model")
    add_source_arguments(parser)
    parser.add_argument("--format", choices=("json", "text"), default="json")
    parser.add_argument(
        "--indent", type=int, metavar="N", help="indent JSON by N spaces (default: 2 on a terminal, compact otherwise)"
    )
    add_output_argument(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    source = open_from_args(args)
    if args.format == "json":
        # Compact JSON goes through the C encoder: indenting a 5,000-table model costs seconds.
        indent = args.indent if args.indent is not None else (2 if sys.stdout.isatty() and not args.output else None)
        out = json.dumps(inspect_json(source.catalog), indent=indent, ensure_ascii=False)
    else:
        out = catalog_text(source.catalog)
    write_output(args, out)
    return 0
