"""`schema-studio split`: run a database-per-tenant design: every tenant's rows into its own database."""

from __future__ import annotations

import sys
from pathlib import Path

from studio.bundle.manifest import read_bundle
from studio.commands.common import add_source_arguments, open_from_args
from studio.design import decisions as design_decisions
from studio.errors import ConfigError
from studio.migrate.tenant_split import check_template, plan_from_design, split

TARGET_HELP = (
    "each tenant database's URL with {tenant} where the tenant's slug goes (its slug, code or name column, "
    "lower case, [a-z0-9_]) or {tenant_id} for its key, e.g. 'postgresql://app@db1/tenant_{tenant}'"
)


def add_parser(sub) -> None:
    parser = sub.add_parser("split", help="copy each tenant's rows into its own database (database-per-tenant)")
    add_source_arguments(parser, schemas=False)
    parser.add_argument("--decisions", metavar="FILE", required=True,
                        help="design.toml with tenancy.model = \"database-per-tenant\", or a bundle.zip holding one")
    parser.add_argument("--target", metavar="URL", required=True, help=TARGET_HELP)
    parser.add_argument("--control-plane", metavar="URL",
                        help="the control-plane database (default: --target with {tenant} = control_plane)")
    parser.add_argument("--create-databases", action="store_true",
                        help="CREATE DATABASE for missing tenant and control-plane databases (needs CREATEDB)")
    parser.set_defaults(run=run)


def read_decisions(path: str):
    if Path(path).suffix.lower() != ".zip":
        return design_decisions.load(path)
    files = read_bundle(path, path)
    if "design.toml" not in files:
        raise ConfigError(f"{path}: the bundle holds no design.toml; pass the design.toml itself")
    return design_decisions.parse(files["design.toml"].decode(), f"design.toml in {path}")


def run(args) -> int:
    check_template(args.target)  # a bad URL fails before the source is loaded
    decisions = read_decisions(args.decisions)
    source = open_from_args(args)
    plan = plan_from_design(source.catalog, decisions, args.decisions)
    say = (lambda message: print(message, file=sys.stderr)) if args.verbose else None
    report = split(source.url, plan, args.target, control_url=args.control_plane,
                   create_databases=args.create_databases, progress=say)
    sys.stdout.write(report.text())
    return 0 if report.ok else 1
