"""`schema-studio export`: the migration bundle (zip), verified on a scratch copy unless --no-verify."""

from __future__ import annotations

import sys
from pathlib import Path

from studio.commands.common import add_source_arguments, open_from_args
from studio.design import decisions as design_decisions
from studio.migrate.export import build_export
from studio.migrate.readme import quarantine_figures
from studio.workshop.agenda import effective_decisions
from studio.workshop.workspace import Store


def add_parser(sub) -> None:
    parser = sub.add_parser("export", help="write the migration bundle (verified on a scratch copy)")
    add_source_arguments(parser, schemas=False)
    parser.add_argument("--fix", default="all", metavar="all|none|RULE,...",
                        help="which findings' fixes to apply: all, none, or rule ids / finding keys (all)")
    parser.add_argument("--decisions", metavar="FILE", help="design.toml with the design decisions")
    parser.add_argument("--workspace", metavar="ID", help="take decisions, decision log and workshop summary from a workspace")
    parser.add_argument("--notes-as-comments", action="store_true",
                        help="with --workspace: add COMMENT ON steps setting the workspace's notes on tables and "
                             "columns as the schema's comments (their downs restore the previous comments)")
    parser.add_argument("--no-verify", action="store_true", help="skip verification (stated in the bundle README)")
    parser.add_argument("--max-quarantine", type=int, metavar="N",
                        help="fail (exit 1, no bundle) when the ups move more than N rows to the quarantine on the scratch copy")
    parser.add_argument("--strict", action="store_true",
                        help="all or nothing: no bundle when any step fails verification (default: a fix whose step "
                             "fails is taken out, left to a person with the error, and the rest verified again)")
    parser.add_argument("-o", "--output", metavar="FILE", required=True, help="the bundle.zip to write")
    parser.set_defaults(run=run)


def run(args) -> int:
    if args.max_quarantine is not None and (args.max_quarantine < 0 or args.no_verify):
        print("schema-studio export: --max-quarantine needs a count of 0 or more and verification (the rows are counted "
              "on the scratch copy): drop --no-verify", file=sys.stderr)
        return 2
    if args.notes_as_comments and not args.workspace:
        print("schema-studio export: --notes-as-comments takes the notes from a workspace: add --workspace ID",
              file=sys.stderr)
        return 2
    accepted = args.fix if args.fix in ("all", "none") else tuple(x.strip() for x in args.fix.split(",") if x.strip())
    decisions, toml_text, workspace = None, "", None
    if args.workspace:
        workspace = Store().get(args.workspace)
        decisions = effective_decisions(workspace.decisions(), workspace.items)
        toml_text = decisions.to_toml()
    elif args.decisions:
        decisions = design_decisions.load(args.decisions)
        toml_text = Path(args.decisions).read_text(encoding="utf-8")
    source = open_from_args(args)
    verify_source = {"demo": True} if args.demo else {"ddl": args.ddl} if args.ddl else {"dsn": args.dsn}
    export = build_export(source, accepted=accepted, decisions=decisions, decisions_toml=toml_text,
                          run_verify=not args.no_verify, workspace=workspace, verify_source=verify_source,
                          strict=args.strict, notes_as_comments=args.notes_as_comments)
    if export.verified is not None:
        sys.stderr.write(export.verified.text())
        if not export.verified.ok:
            print(f"schema-studio export: verification failed; {args.output} was not written (see above)", file=sys.stderr)
            return 1
        moved = sum(export.verified.quarantined_by_step.values())
        if args.max_quarantine is not None and moved > args.max_quarantine:
            worst = sorted((f for f in quarantine_figures(export.plan, export.verified) if f[2]), key=lambda f: -f[2])
            print(f"schema-studio export: the ups would quarantine {moved} rows on the scratch copy, more than "
                  f"--max-quarantine {args.max_quarantine}; {args.output} was not written. By step: "
                  + "; ".join(f"{stem}: {n}" for stem, _, n in worst[:5]), file=sys.stderr)
            return 1
    for item in export.plan.left:
        if "failed on the scratch copy" in item.reason or "the finding remained" in item.reason:
            print(f"schema-studio export: taken out, left to a person: {item.key}: {item.reason}", file=sys.stderr)
    for item in export.plan.created:
        print(f"schema-studio export: created on the target, left to a person: {item.key}: {item.reason}", file=sys.stderr)
    Path(args.output).write_bytes(export.data)
    print(f"wrote {args.output}: {len(export.plan.steps)} steps, {len(export.plan.fixed)} findings fixed, "
          f"{len(export.plan.left)} left{'' if export.verified else ' (NOT verified)'}", file=sys.stderr)
    return 0
