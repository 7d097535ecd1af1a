"""The `schema-studio` command line: one sub-command per module in studio/commands/.

Each command module has `add_parser(subparsers)` and `run(args) -> int`. Exit status:
0 success, 1 findings at or above --fail-on (analyze) or a failed verification, 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from studio.errors import StudioError

COMMANDS = ("inspect", "analyze", "erd", "design", "export", "verify", "blueprint", "split")


def _command_modules(argv: list[str]):
    # Importing a command pulls in its whole capability (analyzers, planner, ERD): a run imports only
    # its own, so `inspect` does not pay for `export`. Help and unknown commands list every one.
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    for name in (named,) if named in COMMANDS else COMMANDS:
        try:
            yield importlib.import_module(f"studio.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"studio.commands.{name}":
                raise


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own usage errors exit 2 with one line, like ours
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog="schema-studio", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in _command_modules(sys.argv[1:] if argv is None else argv):
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser(argv).parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        return args.run(args)
    except StudioError as exc:
        print(f"schema-studio {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"schema-studio {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
