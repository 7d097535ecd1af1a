"""`schema-studio analyze`: findings as text, JSON, SARIF or Markdown; exit 1 at or above --fail-on."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from analyzers import config as config_file
from analyzers import output
from analyzers.data import DataOptions
from analyzers.data_run import run_data_checks, with_data
from analyzers.engine import analyze
from analyzers.families import all_rules
from analyzers.workload_input import Workload, read_file, read_pg_stat_statements
from analyzers.workload_run import run_workload, with_workload
from studio.commands.common import add_output_argument, add_source_arguments, open_from_args, write_output
from studio.db import reader
from studio.errors import ConfigError
from studio.progress import TerminalProgress


def add_parser(sub) -> None:
    parser = sub.add_parser("analyze", help="find anti-patterns in a schema")
    add_source_arguments(parser)
    parser.add_argument("--format", choices=("text", "json", "sarif", "markdown"), default="text")
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning", "info"),
        help="exit 1 when a finding is at or above this severity",
    )
    parser.add_argument(
        "--config", metavar="FILE", help="schema-studio.toml or pyproject.toml (default: discovered)"
    )
    parser.add_argument("--rule", action="append", metavar="ID", help="run only this rule (repeatable)")
    parser.add_argument(
        "--baseline", metavar="FILE", help="an earlier --format json report: show only new findings"
    )
    parser.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    _add_data_arguments(parser)
    _add_workload_arguments(parser)
    add_output_argument(parser)
    parser.set_defaults(run=run)
    # The source group is required, but --list-rules needs no source.
    for action in parser._mutually_exclusive_groups[0]._group_actions:
        action.required = False
    parser._mutually_exclusive_groups[0].required = False


def list_rules() -> str:
    rows = sorted(all_rules().values(), key=lambda r: (r.category, r.id))
    width = max(len(r.id) for r in rows)
    return "\n".join(f"{r.id:<{width}}  {r.severity:<7}  {r.category:<13}  {r.title}" for r in rows)


def run(args) -> int:
    if args.list_rules:
        write_output(args, list_rules())
        return 0
    if not (args.dsn or args.ddl or args.demo):
        raise ConfigError("choose a source: --dsn URL, --ddl FILE or --demo")
    config = config_file.load(args.config)
    if args.rule:
        config = dataclasses.replace(config, only=frozenset(args.rule))
    baseline = None
    if args.baseline:
        try:
            baseline = Path(args.baseline).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{args.baseline}: cannot read the baseline ({exc.strerror})") from None
    config.validate(_known_rules())
    source = open_from_args(args)
    report = analyze(source.catalog, config)
    # Hook points: data checks (--data) and workload analysis (--queries) extend `report` here.
    if args.data:
        report = _with_data_checks(args, source, config, report)
    if args.queries or args.pg_stat_statements:
        report = _with_workload(args, source, config, report)
    if baseline is not None:
        report = output.filter_new(report, baseline, origin=args.baseline)
    ddl_file = Path(args.ddl) if args.ddl else None
    write_output(args, output.render(report, args.format, source_label=source.label, ddl_file=ddl_file))
    if args.fail_on and report.at_or_above(args.fail_on):
        return 1
    return 0


def _known_rules():
    return all_rules()


# Data checks (--data) ----------------------------------------------------------------------------


def _add_data_arguments(parser) -> None:
    group = parser.add_argument_group("data checks (read-only, bounded)")
    group.add_argument(
        "--data", action="store_true", help="also check the rows: orphans, duplicates, NULLs, drift"
    )
    group.add_argument("--exact", action="store_true", help="never sample large tables (read every row)")
    group.add_argument(
        "--check-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="statement timeout per check (default 30 s)",
    )
    group.add_argument(
        "--budget",
        type=float,
        default=600.0,
        metavar="S",
        help="time budget for all data checks (default 600 s)",
    )


def _with_data_checks(args, source, config, report):
    if not source.url:
        raise ConfigError(
            f"{source.label}: no rows to check here; --data needs --dsn, --demo or a --ddl file"
        )
    if args.check_timeout <= 0 or args.budget <= 0:
        raise ConfigError("--check-timeout and --budget must be positive numbers of seconds")
    options = DataOptions(statement_timeout_s=args.check_timeout, budget_s=args.budget, exact=args.exact)
    data = run_data_checks(
        source.catalog, reader(source.url), config=config, options=options, progress=TerminalProgress()
    )
    return with_data(report, data, config)


# Workload (--queries, --pg-stat-statements) ------------------------------------------------------


def _add_workload_arguments(parser) -> None:
    group = parser.add_argument_group("workload (the queries the schema must serve)")
    group.add_argument("--queries", metavar="FILE", help="a .sql file of queries ($1 and :name parameters allowed)")
    group.add_argument(
        "--pg-stat-statements",
        action="store_true",
        help="also the live database's top statements by total time (needs the extension)",
    )


def _with_workload(args, source, config, report):
    if args.pg_stat_statements and source.kind != "dsn":
        raise ConfigError("--pg-stat-statements reads a live database's statistics: use it with --dsn URL")
    workload = read_file(args.queries) if args.queries else Workload()
    if args.pg_stat_statements:
        top = read_pg_stat_statements(reader(source.url))
        offset = len(workload.statements)
        moved = tuple(dataclasses.replace(s, number=s.number + offset) for s in top.statements)
        problems = tuple(
            dataclasses.replace(p, statement=moved[p.statement.number - 1]) for p in top.problems
        )
        workload = dataclasses.replace(
            workload,
            statements=(*workload.statements, *moved),
            parsed={**workload.parsed, **{n + offset: tree for n, tree in top.parsed.items()}},
            problems=(*workload.problems, *problems),
            notes=(*workload.notes, *top.notes),
        )
    connect = reader(source.url) if source.url else None
    run = run_workload(source.catalog, workload, config=config, connect=connect, live=source.kind == "dsn")
    return with_workload(report, run, config)
