from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import ConfigError
from models.settings import Language, RunMode, env_overrides, load_settings

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "gerbang.example.toml"


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings, used = load_settings(None, {"XDG_CONFIG_HOME": str(tmp_path)})
    assert used is None
    assert settings.kiosk.language is Language.INDONESIAN
    assert settings.kiosk.mode is RunMode.PRODUCTION  # virtual devices must be opted into
    assert settings.store_path.name == "kiosk.db"


def test_shipped_example_is_valid() -> None:
    settings, used = load_settings(EXAMPLE, {})
    assert used == EXAMPLE
    assert settings.kiosk.id == "KIOSK-WAYKANAN-01"
    assert settings.data_dir == Path("/var/lib/gerbang")


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    env = {
        "GERBANG_KIOSK__LANGUAGE": "en",
        "GERBANG_SYNC__INTERVAL_S": "30",
        "GERBANG_PATHS__DATA_DIR": str(tmp_path),
    }
    settings, _ = load_settings(EXAMPLE, env)
    assert settings.kiosk.language is Language.ENGLISH
    assert settings.sync.interval_s == 30.0
    assert settings.data_dir == tmp_path
    assert settings.kiosk.office_id == "WAYKANAN"  # untouched keys keep the file's values


def test_env_values_parse_as_toml_or_text() -> None:
    assert env_overrides({"GERBANG_LOGGING__TO_FILE": "false", "GERBANG_KIOSK__ID": "42"}) == {
        "logging": {"to_file": "false"},
        "kiosk": {"id": "42"},
    }
    settings, _ = load_settings(
        None, {"GERBANG_LOGGING__TO_FILE": "false", "GERBANG_KIOSK__ID": "42"}
    )
    assert settings.logging.to_file is False and settings.kiosk.id == "42"


@pytest.mark.parametrize(
    ("toml", "key", "fragment"),
    [
        ('[kiosk]\nlanguage = "fr"\n', "kiosk.language", "'id' or 'en'"),
        ("[kiosk]\ncolour = 1\n", "kiosk.colour", "unknown setting"),
        ("[sync]\ninterval_s = 1\n", "sync.interval_s", "greater than or equal to 5"),
        ('[kiosk]\nid = "has space"\n', "kiosk.id", "pattern"),
        ("[nosuch]\nx = 1\n", "nosuch", "unknown setting"),
    ],
)
def test_invalid_settings_name_the_key(tmp_path: Path, toml: str, key: str, fragment: str) -> None:
    path = tmp_path / "g.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_settings(path, {})
    assert info.value.key == key
    assert fragment in info.value.message


def test_unreadable_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml", {})
    bad = tmp_path / "bad.toml"
    bad.write_text("[kiosk\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad, {})


def test_gerbang_config_variable_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(None, {"GERBANG_CONFIG": str(tmp_path / "nope.toml")})


def test_malformed_override_variable() -> None:
    with pytest.raises(ConfigError, match="GERBANG_<SECTION>__<KEY>"):
        env_overrides({"GERBANG___KEY": "1"})
