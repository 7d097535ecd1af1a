#!/usr/bin/env python3
"""Set up and run Schema Studio with nothing but Python 3.11+.

    python3 dev.py studio [streamlit args]   # the studio on the demo, at http://localhost:8501
    python3 dev.py test [pytest args]        # lint + the whole test suite

The first run creates .venv and installs the package; `test` also installs what the
tests need (Graphviz's `dot`, Debian's Chromium) when it is missing and this user can.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
NPM_PREFIX = ".cache/npm"
MERMAID_PACKAGE = "mermaid@11"
MERMAID_JS = f"{NPM_PREFIX}/node_modules/mermaid/dist/mermaid.min.js"
SYSTEM_PACKAGES = {
    "dot": "graphviz",
    "chromium": "chromium",
    "npm": "npm",  # fetches the mermaid library that tests/test_erd_parsers.py validates Mermaid exports with
    # PostgreSQL 15's server for tests/test_versions.py; its binaries are not on PATH
    "/usr/lib/postgresql/15/bin/postgres": "postgresql-15",
}


def run(*cmd, **kw) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, **kw)


def ensure_venv(extra: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (this file runs before the version is known)
        sys.exit(f"Schema Studio needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extra or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f".[{extra}]" if extra else "."
    if run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip") or run(
        PY, "-m", "pip", "install", "--quiet", "-e", target
    ):
        sys.exit("pip install failed; see the messages above.")
    stamp.write_text(digest)


def ensure_system_packages(commands: list[str]) -> None:
    missing = [SYSTEM_PACKAGES[c] for c in commands if shutil.which(c) is None]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"note: {', '.join(missing)} missing and cannot be installed here (needs root and apt-get); "
              "the tests that need them will fail, naming what is missing.", file=sys.stderr)
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run("apt-get", "update", "-qq", env=env)
    if run("apt-get", "install", "-y", "-qq", *missing, env=env):
        sys.exit(f"apt-get install {' '.join(missing)} failed; see the messages above.")


def ensure_mermaid() -> None:
    """The mermaid npm package under .cache/npm (gitignored), which tests load into Chromium."""
    if (ROOT / MERMAID_JS).exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is missing and could not be installed; Mermaid exports cannot be validated without it.")
    if run(npm, "install", "--prefix", NPM_PREFIX, MERMAID_PACKAGE, "--no-audit", "--no-fund"):
        sys.exit(f"npm install {MERMAID_PACKAGE} failed; see the messages above.")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"studio", "test"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "studio":
        ensure_venv("")
        ensure_system_packages(["dot"])
        return run(PY, "-m", "streamlit", "run", "app.py", *rest)
    ensure_venv("test")
    ensure_system_packages(["dot", "chromium", "npm", "/usr/lib/postgresql/15/bin/postgres"])
    ensure_mermaid()
    if run(PY, "-m", "ruff", "check", "."):
        return 1
    workers = rest and rest[0].startswith("-n") and [] or ["-n", str(min(4, os.cpu_count() or 1))]
    return run(PY, "-m", "pytest", *workers, *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
