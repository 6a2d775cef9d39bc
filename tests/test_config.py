"""Configuration files: auditor.toml and [tool.auditor], validated, overridden by the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.config import load_config
from auditor.errors import ConfigError
from tests.conftest import FIXTURES

GOOD = """
select = ["INC", "FAL"]
ignore = ["FAL005"]
profile = "auto"
dns = false

[profiles.strict-zz]
registrant = ["name", "email", "phone", "street", "city", "postcode", "country"]

[tld_profiles]
zz = "strict-zz"

[rules.PAT002]
min_domains = 20
"""


def test_auditor_toml_is_read_and_validated(tmp_path: Path) -> None:
    (tmp_path / "auditor.toml").write_text(GOOD)
    config = load_config(cwd=tmp_path)
    assert config.select == ("INC", "FAL") and config.ignore == ("FAL005",) and config.dns is False
    params = config.rule_params()
    assert params["INC001"]["profile"] == "auto" and params["INC001"]["tld_profiles"] == {"zz": "strict-zz"}
    assert params["INC003"] == params["INC001"]  # INC003 leaves what the profile demands to INC001
    assert params["PAT002"] == {"min_domains": 20}


def test_pyproject_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.auditor]\nignore = ["UNV007"]\n')
    assert load_config(cwd=tmp_path).ignore == ("UNV007",)


def test_no_config_is_fine(tmp_path: Path) -> None:
    assert load_config(cwd=tmp_path).select == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('selekt = ["INC"]', "unknown setting"),
        ('select = ["ZZZ"]', "matches no rule"),
        ('profile = "nope"', "not defined"),
        ("[rules.NOPE01]\nx = 1", "no such rule"),
        ("[rules.PAT002]\nmin_domain = 3", "unknown parameter"),
        ('[profiles.p]\nregistrant = ["shoe size"]', "unknown field"),
        ("select = [", "not valid TOML"),
    ],
)
def test_bad_configuration_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "auditor.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(cwd=tmp_path)


def test_custom_profile_changes_what_is_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A profile demanding a postcode flags the demo's registrant without one only under that profile."""
    (tmp_path / "auditor.toml").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    inputs = str(FIXTURES / "demo")
    (tmp_path / "empty.toml").write_text("")
    assert main(["audit", inputs, "--out", "default", "--db", "a.sqlite", "--quiet", "--no-dns", "--config", "empty.toml"]) == 0
    assert main(["audit", inputs, "--out", "strict", "--db", "a.sqlite", "--quiet"]) == 0
    def inc001(run: str) -> set[tuple[str, str, str]]:
        rows = [json.loads(line) for line in (tmp_path / run / "findings.jsonl").read_text().splitlines()]
        return {(r["domain"], r["role"], r["field"]) for r in rows if r["rule"] == "INC001"}

    strict, default = inc001("strict"), inc001("default")
    # the zz profile demands a postcode and a city of the registrant, and nothing of the admin contact
    assert {f for _d, r, f in strict - default if r == "registrant"} >= {"postcode", "city"}
    assert all(r == "administrative" for _d, r, _f in default - strict)
    strict_rules = {json.loads(line)["rule"][:3] for line in (tmp_path / "strict" / "findings.jsonl").read_text().splitlines()}
    assert strict_rules <= {"INC", "FAL"}  # select = INC, FAL
    assert main(["audit", inputs, "--out", "x", "--db", "a.sqlite", "--quiet", "--profile", "nope"]) == 2
