"""`schema-studio export`: the migration bundle (zip), verified on a scratch copy unless --no-verify."""

from __future__ import annotations

import sys

from studio.commands.common import add_source_arguments, open_from_args


def add_parser(sub) -> None:
    parser = sub.add_parser("export", help="write the migration bundle (verified on a scratch copy)")
    add_source_arguments(parser, schemas=False)
    parser.add_argument("--fix", default="all", metavar="all|none|RULE,...",
                        help="which findings' fixes to apply: all, none, or rule ids / finding keys (all)")
    parser.add_argument("--decisions", metavar="FILE", help="design.toml with the design decisions")
    parser.add_argument("--workspace", metavar="ID", help="take decisions, decision log and workshop summary from a workspace")
    parser.add_argument("--no-verify", action="store_true", help="skip verification (stated in the bundle README)")
    parser.add_argument("-o", "--output", metavar="FILE", required=True, help="the bundle.zip to write")
    parser.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from studio.design import decisions as design_decisions
    from studio.migrate.export import build_export

    accepted = args.fix if args.fix in ("all", "none") else tuple(x.strip() for x in args.fix.split(",") if x.strip())
    decisions, toml_text, workspace = None, "", None
    if args.workspace:
        from studio.workshop.agenda import effective_decisions
        from studio.workshop.workspace import Store

        workspace = Store().get(args.workspace)
        decisions = effective_decisions(workspace.decisions(), workspace.items)
        toml_text = decisions.to_toml()
    elif args.decisions:
        decisions = design_decisions.load(args.decisions)
        toml_text = Path(args.decisions).read_text(encoding="utf-8")
    source = open_from_args(args)
    verify_source = {"demo": True} if args.demo else {"ddl": args.ddl} if args.ddl else {"dsn": args.dsn}
    export = build_export(source, accepted=accepted, decisions=decisions, decisions_toml=toml_text,
                          run_verify=not args.no_verify, workspace=workspace, verify_source=verify_source)
    if export.verified is not None:
        sys.stderr.write(export.verified.text())
        if not export.verified.ok:
            print(f"schema-studio export: verification failed; {args.output} was not written (see above)", file=sys.stderr)
            return 1
    Path(args.output).write_bytes(export.data)
    print(f"wrote {args.output}: {len(export.plan.steps)} steps, {len(export.plan.fixed)} findings fixed, "
          f"{len(export.plan.left)} left{'' if export.verified else ' (NOT verified)'}", file=sys.stderr)
    return 0
