"""squawk, the migration linter the bundle promises to pass, run over migration scripts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from studio.bundle.manifest import read_bundle


def bundle_migrations(data: bytes) -> dict[str, bytes]:
    return {name: body for name, body in read_bundle(data).items() if name.startswith("migrations/")}


def assert_squawk_passes(scripts: dict[str, str | bytes], folder: Path) -> list[str]:
    """Write the scripts (name -> text) into `folder`, run squawk with its default rules over all of them and
    fail with its report unless it passes; returns the paths written."""
    paths = []
    for name, text in scripts.items():
        path = folder / Path(name).name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        paths.append(str(path))
    done = subprocess.run([str(Path(sys.executable).parent / "squawk"), "--reporter", "gcc", *paths], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return paths
