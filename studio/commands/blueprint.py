"""`schema-studio blueprint list|show`: the domain blueprints and their DDL."""

from __future__ import annotations

import json

from studio import blueprints
from studio.commands.common import add_output_argument, write_output


def add_parser(sub) -> None:
    parser = sub.add_parser("blueprint", help="list domain blueprints or show one's DDL")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the blueprints there are")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    add_output_argument(listing)
    show = actions.add_parser("show", help="one blueprint's DDL or a markdown description")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--tenancy", choices=("rls", "none"), default="rls")
    show.add_argument("--schema", metavar="NAME", help="schema to create it in (default: the blueprint's own)")
    show.add_argument("--format", choices=("sql", "markdown"), default="sql")
    add_output_argument(show)
    parser.set_defaults(run=run)


def run(args) -> int:
    if args.action == "list":
        infos = blueprints.list_blueprints()
        if args.format == "json":
            write_output(args, json.dumps([i.to_dict() for i in infos], indent=2))
        else:
            width = max(len(i.name) for i in infos)
            write_output(args, "\n".join(f"{i.name:<{width}}  {i.description}" for i in infos))
        return 0
    blueprint = blueprints.render(args.name, tenancy=args.tenancy, schema=args.schema)
    write_output(args, blueprint.sql if args.format == "sql" else blueprint.markdown())
    return 0
