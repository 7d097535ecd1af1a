"""`schema-studio inspect`: the model as JSON or text."""

from __future__ import annotations

import argparse
import sys

from studio.commands.common import add_output_argument, add_source_arguments, open_from_args, write_output
from studio.summary import catalog_text, inspect_json_bytes


def add_parser(sub) -> None:
    parser = sub.add_parser("inspect", help="read a schema and print its model")
    add_source_arguments(parser)
    parser.add_argument("--format", choices=("json", "text"), default="json")
    parser.add_argument(
        "--indent", type=_indent, metavar="N",
        help="indent JSON by N spaces, as Python's json.dumps(indent=N) does; 0 prints it compact, on one line "
        "(default: 2 on a terminal, compact otherwise)",
    )  # fmt: skip
    add_output_argument(parser)
    parser.set_defaults(run=run)


def _indent(text: str) -> int:
    try:
        indent = int(text)
    except ValueError:
        indent = -1
    if indent < 0:
        raise argparse.ArgumentTypeError(f"--indent takes a number of spaces, 0 or more, not {text!r}")
    return indent


def run(args) -> int:
    source = open_from_args(args)
    if args.format == "json":
        indent = args.indent if args.indent is not None else (2 if sys.stdout.isatty() and not args.output else None)
        out = inspect_json_bytes(source.catalog, indent) + b"\n"
    else:
        out = catalog_text(source.catalog)
    write_output(args, out)
    return 0
