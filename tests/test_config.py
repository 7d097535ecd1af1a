"""Configuration files: [tool.schema-studio] in pyproject.toml or a schema-studio.toml."""

from __future__ import annotations

import pytest

from analyzers import config
from studio.errors import ConfigError

GOOD = """
disable = ["json-instead-of-jsonb"]
tenant_column = "org_id"
natural_keys = ["reference"]
growing_tables = ["public.events"]
cascade_threshold = 3

[severity]
"redundant-index" = "warning"

[[suppress]]
rule = "no-primary-key"
object = "public.audit_log"
reason = "append-only"
"""


def test_schema_studio_toml_is_discovered(tmp_path):
    (tmp_path / "schema-studio.toml").write_text(GOOD)
    cfg = config.load(directory=tmp_path)
    assert cfg.disabled == {"json-instead-of-jsonb"}
    assert cfg.settings.tenant_column == "org_id"
    assert cfg.settings.natural_key_names == ("reference",)
    assert cfg.settings.growing_tables == ("public.events",)
    assert cfg.settings.cascade_threshold == 3
    assert cfg.severity == (("redundant-index", "warning"),)
    assert cfg.suppressions[0].object == "public.audit_log" and cfg.suppressions[0].reason == "append-only"


def test_pyproject_table_is_read(tmp_path):
    body = GOOD.replace("[severity]", "[tool.schema-studio.severity]").replace(
        "[[suppress]]", "[[tool.schema-studio.suppress]]"
    )
    (tmp_path / "pyproject.toml").write_text("[tool.schema-studio]\n" + body)
    assert config.load(directory=tmp_path).settings.tenant_column == "org_id"


def test_no_file_means_defaults(tmp_path):
    assert config.load(directory=tmp_path) == config.AnalysisConfig()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("colour = 1", "unknown key 'colour'"),
        ('disable = ["no-such-rule"]', "unknown rule id 'no-such-rule'"),
        ('[severity]\n"no-primary-key" = "fatal"', "'fatal' is not one of"),
        ('[[suppress]]\nrule = "no-primary-key"\nobject = "public.t"', "reason is required"),
        ("cascade_threshold = 0", "cascade_threshold"),
        ("disable = [", "not valid TOML"),
    ],
)
def test_errors_name_the_file_and_key(tmp_path, text, says):
    path = tmp_path / "schema-studio.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert says in str(err.value) and str(path) in str(err.value)
