"""`schema-studio inspect`: the model as JSON or text."""

from __future__ import annotations

import json

from studio.commands.common import add_output_argument, add_source_arguments, open_from_args, write_output
from studio.summary import catalog_text, inspect_json


def add_parser(sub) -> None:
    parser = sub.add_parser("inspect", help="read a schema and print its model")
    add_source_arguments(parser)
    parser.add_argument("--format", choices=("json", "text"), default="json")
    add_output_argument(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    source = open_from_args(args)
    if args.format == "json":
        out = json.dumps(inspect_json(source.catalog), indent=2, ensure_ascii=False)
    else:
        out = catalog_text(source.catalog)
    write_output(args, out)
    return 0
