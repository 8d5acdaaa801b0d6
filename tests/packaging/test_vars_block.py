"""The vars block orderlayer writes into a user project's dbt_project.yml (core/dbt.py `write_vars`, D-048)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orderlayer.core.config import ConfigError, Settings
from orderlayer.core.dbt import VARS_BEGIN, VARS_END, dbt_vars, user_project, without_vars_block, write_vars

OWN = 'name: shop_analytics\nconfig-version: 2\nprofile: orderlayer\n'


def test_the_block_holds_the_vars_and_keeps_the_users_keys(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text(OWN, encoding="utf-8")
    settings = Settings(reporting_timezone="Europe/Berlin", reporting_currency="EUR")
    write_vars(tmp_path, settings)
    text = (tmp_path / "dbt_project.yml").read_text(encoding="utf-8")
    assert text.startswith(OWN) and text.endswith(VARS_END + "\n")
    assert without_vars_block(text) == OWN
    # the user adds a key of their own in the block; the next write keeps it and refreshes orderlayer's
    (tmp_path / "dbt_project.yml").write_text(text.replace("vars:\n", "vars:\n  margin_floor: 0.2\n"), encoding="utf-8")
    write_vars(tmp_path, settings.model_copy(update={"reporting_currency": "USD"}))
    written = yaml.safe_load((tmp_path / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    assert written["margin_floor"] == 0.2
    assert written["orderlayer_reporting_currency"] == "USD"
    assert written["orderlayer_reporting_timezone"] == "Europe/Berlin"
    assert {k: v for k, v in written.items() if k != "margin_floor"} == dbt_vars(settings.model_copy(update={"reporting_currency": "USD"}))
    assert (tmp_path / "dbt_project.yml").read_text(encoding="utf-8").count(VARS_BEGIN) == 1


def test_vars_outside_the_block_are_refused(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text(OWN + "vars:\n  x: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="dbt_project.yml: a `vars:` key outside the block"):
        write_vars(tmp_path, Settings())


def test_only_a_project_not_named_orderlayer_is_a_user_project(tmp_path: Path) -> None:
    assert user_project(tmp_path) is None
    (tmp_path / "dbt_project.yml").write_text("name: orderlayer\n", encoding="utf-8")
    assert user_project(tmp_path) is None  # a copy of orderlayer's own project
    (tmp_path / "dbt_project.yml").write_text(OWN, encoding="utf-8")
    assert user_project(tmp_path) == tmp_path.resolve()
