"""The demo's answer key: every planted static finding is found, nothing beyond it, guards hold."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from analyzers.engine import analyze
from analyzers.families import all_rules

KEY = Path(__file__).resolve().parent.parent / "studio" / "demo" / "answer_key.toml"
STATIC = {r for r, rule in all_rules().items() if rule.needs == "schema"}


@pytest.fixture(scope="module")
def key():
    assert KEY.exists(), f"the demo's answer key {KEY} is tracked in git and must be there"
    return tomllib.loads(KEY.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def found():
    from studio.sources import demo

    report = analyze(demo.load().catalog)
    return {(f.rule, f.table, tuple(f.columns)) for f in report.findings}


def _entries(key, kind):
    return [(e["rule"], e["table"], tuple(e.get("columns", ()))) for e in key.get(kind, []) if e["rule"] in STATIC]


def test_every_planted_static_finding_is_found(key, found):
    expected = _entries(key, "finding")
    assert expected, "the answer key lists no static findings"
    missing = sorted(set(expected) - found)
    assert not missing, f"planted findings not reported: {missing}"


def test_no_static_finding_beyond_the_key(key, found):
    extra = sorted(found - set(_entries(key, "finding")))
    assert not extra, f"findings the answer key does not list (false positives?): {extra}"


def test_clean_guard_cases_stay_silent(key, found):
    clean = _entries(key, "clean")
    assert clean, "the answer key lists no guard cases"
    fired = sorted(set(clean) & found)
    assert not fired, f"guard cases that fired: {fired}"
