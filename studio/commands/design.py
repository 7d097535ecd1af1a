"""`schema-studio design`: apply design.toml to a schema; print the target DDL, the diff or the notes."""

from __future__ import annotations

from studio.commands.common import add_output_argument, add_source_arguments, open_from_args, write_output
from studio.design.apply import design
from studio.design.decisions import load


def add_parser(sub) -> None:
    parser = sub.add_parser("design", help="apply design choices (design.toml) and show the target schema")
    add_source_arguments(parser)
    parser.add_argument("--decisions", required=True, metavar="FILE", help="the design.toml with the choices")
    parser.add_argument("--format", choices=("sql", "diff", "notes"), default="sql",
                        help="sql: complete target DDL; diff: against the current schema; notes: trade-offs")
    add_output_argument(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    decisions = load(args.decisions)
    source = open_from_args(args)
    try:
        result = design(source.catalog, decisions, where=args.decisions)
        output = {"sql": result.ddl, "diff": result.diff, "notes": result.notes_text}[args.format]()
    finally:
        source.close()
    write_output(args, output or "-- no difference\n")
    return 0
