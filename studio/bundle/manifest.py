"""The DDL bundle: a zip of migrations, schemas, diagrams, findings and a MANIFEST of sha256 sums.

`write_bundle(files) -> bytes` adds the MANIFEST (one `sha256  path` line per file, sorted);
`check_manifest(data)` reads a bundle back and names every file that is missing, extra or
changed, before anything in it is trusted.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from studio.errors import StudioError

MANIFEST = "MANIFEST"


class BundleError(StudioError):
    pass


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(files: dict[str, bytes]) -> str:
    return "".join(f"{sha256(files[name])}  {name}\n" for name in sorted(files))


def write_bundle(files: dict[str, str | bytes]) -> bytes:
    encoded = {name: data.encode() if isinstance(data, str) else data for name, data in files.items()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(encoded):
            zf.writestr(_entry(name), encoded[name])
        zf.writestr(_entry(MANIFEST), manifest(encoded))
    return out.getvalue()


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible bytes for equal content
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def read_bundle(source: bytes | str | Path, label: str = "bundle") -> dict[str, bytes]:
    """All files of a bundle (MANIFEST included); a clear error for what is not a zip."""
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError as exc:
        raise BundleError(f"{label}: cannot read it ({exc.strerror}); give the path of a bundle.zip from `schema-studio export`") from None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}
    except zipfile.BadZipFile:
        raise BundleError(f"{label}: not a zip file; give a bundle.zip from `schema-studio export`") from None


def check_manifest(files: dict[str, bytes], label: str = "bundle") -> list[str]:
    """Problems with the MANIFEST: an empty list means every file is exactly what was exported."""
    if MANIFEST not in files:
        return [f"{label}: no MANIFEST; it was not written by `schema-studio export`"]
    listed: dict[str, str] = {}
    for line in files[MANIFEST].decode(errors="replace").splitlines():
        digest, _, name = line.partition("  ")
        if name:
            listed[name] = digest
    problems = []
    present = {n for n in files if n != MANIFEST}
    for name in sorted(set(listed) - present):
        problems.append(f"{label}: {name} is listed in the MANIFEST but missing")
    for name in sorted(present - set(listed)):
        problems.append(f"{label}: {name} is not in the MANIFEST (added after export)")
    for name in sorted(present & set(listed)):
        if sha256(files[name]) != listed[name]:
            problems.append(f"{label}: {name} does not match its MANIFEST checksum (changed after export)")
    return problems
