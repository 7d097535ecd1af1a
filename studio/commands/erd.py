"""`schema-studio erd`: the entity-relationship diagram as DOT, SVG, PNG, Mermaid, DBML or text."""

from __future__ import annotations

from studio.commands.common import add_output_argument, add_source_arguments, open_from_args, write_output


def add_parser(sub) -> None:
    parser = sub.add_parser("erd", help="draw the entity-relationship diagram")
    add_source_arguments(parser)
    parser.add_argument("--format", choices=("dot", "svg", "png", "mermaid", "dbml", "text"), default="text")
    parser.add_argument("--focus", metavar="SCHEMA.TABLE", help="only this table and its neighbours")
    parser.add_argument("--depth", type=int, default=1, metavar="N", help="relationship hops around --focus (1)")
    parser.add_argument("--columns", choices=("all", "keys", "none"), default="all", help="column detail (all)")
    parser.add_argument("--cluster", choices=("none", "schema", "domain"), default="schema")
    parser.add_argument("--direction", choices=("LR", "TB"), default="LR")
    parser.add_argument("--no-implied", action="store_true", help="leave out implied (undeclared) foreign keys")
    parser.add_argument("--no-findings", action="store_true", help="do not run the analyzers to mark findings")
    add_output_argument(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from studio.erd import Options, build, render, require_table
    from studio.errors import StudioError

    if args.depth < 0:
        raise StudioError(f"--depth {args.depth}: give 0 or more hops")
    if args.format == "png" and not args.output:
        raise StudioError("--format png writes binary data: give -o FILE.png")
    catalog = open_from_args(args).catalog
    focus = require_table(catalog, args.focus) if args.focus else None
    findings = None
    if not args.no_findings and args.format in ("dot", "svg", "png", "text"):
        from analyzers.engine import analyze

        findings = analyze(catalog).findings
    options = Options(
        columns=args.columns,
        cluster=args.cluster,
        focus=focus,
        depth=args.depth,
        direction=args.direction,
        implied=not args.no_implied,
    )
    write_output(args, render(build(catalog, options, findings), args.format))
    return 0
