"""`schema-studio erd`: the entity-relationship diagram as DOT, SVG, PNG, Mermaid, DBML or text."""

from __future__ import annotations

import sys

from analyzers import config as config_file
from analyzers.engine import analyze
from analyzers.families import all_rules
from studio.commands.common import add_output_argument, add_source_arguments, open_from_args, write_output
from studio.erd import OVERVIEW_FORMATS, Options, build, render, render_overview, require_table
from studio.erd.paths import path_diagram, paths_text, shortest_paths
from studio.errors import StudioError


def add_parser(sub) -> None:
    parser = sub.add_parser("erd", help="draw the entity-relationship diagram")
    add_source_arguments(parser)
    parser.add_argument("--format", choices=("dot", "svg", "png", "mermaid", "dbml", "text"), default="text")
    parser.add_argument("--focus", metavar="SCHEMA.TABLE", help="only this table and its neighbours")
    parser.add_argument("--depth", type=int, default=1, metavar="N", help="relationship hops around --focus (1)")
    parser.add_argument("--domain", metavar="NAME", help="only the tables of this domain (--overview lists them)")
    parser.add_argument(
        "--overview", action="store_true",
        help="one node per domain (communities of the foreign-key graph) with the links between them; "
        "dot, svg, png or text",
    )
    parser.add_argument(
        "--path", nargs=2, metavar=("FROM", "TO"),
        help="how two tables are connected: the shortest foreign-key paths (declared and implied) as joins "
        "(text) or as a diagram (other formats)",
    )
    parser.add_argument("--columns", choices=("all", "keys", "none"), default="all", help="column detail (all)")
    parser.add_argument("--cluster", choices=("none", "schema", "domain"), default="schema")
    parser.add_argument("--direction", choices=("LR", "TB"), default="LR")
    parser.add_argument("--no-implied", action="store_true", help="leave out implied (undeclared) foreign keys")
    parser.add_argument("--no-findings", action="store_true", help="do not run the analyzers to mark findings")
    parser.add_argument(
        "--config", metavar="FILE",
        help="schema-studio.toml or pyproject.toml for the findings marked (default: discovered)",
    )
    add_output_argument(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    if args.depth < 0:
        raise StudioError(f"--depth {args.depth}: give 0 or more hops")
    if args.format == "png" and not args.output:
        raise StudioError("--format png writes binary data: give -o FILE.png")
    if args.path and (args.overview or args.focus or args.domain):
        raise StudioError("--path draws the tables between two tables: leave out --overview, --focus and --domain")
    if args.overview and (args.focus or args.domain):
        raise StudioError("--overview shows every domain: leave out --focus and --domain, or drop --overview")
    if args.overview and args.format not in OVERVIEW_FORMATS:
        raise StudioError(f"--overview is drawn as {', '.join(OVERVIEW_FORMATS)}: choose one of those with --format")
    catalog = open_from_args(args).catalog
    options = Options(
        columns=args.columns,
        cluster=args.cluster,
        focus=require_table(catalog, args.focus) if args.focus else None,
        depth=args.depth,
        domain=args.domain,
        direction=args.direction,
        implied=not args.no_implied,
    )
    if args.overview:
        write_output(args, render_overview(catalog, args.format, options))
        return 0
    if args.path:
        return _paths(args, catalog, options)
    findings = None
    if not args.no_findings and args.format in ("dot", "svg", "png", "text"):
        findings = _findings(catalog, args.config)
    write_output(args, render(build(catalog, options, findings), args.format))
    return 0


def _paths(args, catalog, options) -> int:
    start, goal = (require_table(catalog, name) for name in args.path)
    paths = shortest_paths(catalog, start, goal, options.implied)
    if not paths:
        print(paths_text(start, goal, paths).strip() + "; try without --no-implied, or check the two names",
              file=sys.stderr)
        return 1
    if args.format == "text":
        write_output(args, paths_text(start, goal, paths))
    else:
        write_output(args, render(path_diagram(catalog, paths, options), args.format))
    return 0


def _findings(catalog, config_path: str | None):
    """The findings under the user's configuration (disabled rules, severities, suppressions), as `analyze` reports them."""
    config = config_file.load(config_path)
    config.validate(all_rules())
    return analyze(catalog, config).findings
