"""Settings come from the environment, with defaults that work right after cloning."""

from __future__ import annotations

import stat

import pytest

from pwa import ROOT
from pwa.settings import DOCUMENTED, Settings


def test_defaults_work_without_any_environment(tmp_path):
    settings = Settings.from_env({"DATA_DIR": str(tmp_path)})
    assert settings.port == 8000 and settings.debug is False
    assert settings.default_locale == "zh_Hans"
    assert settings.database_url == f"sqlite://{tmp_path / 'startrip.sqlite3'}"


def test_secret_key_is_made_once_and_kept_private(tmp_path):
    first = Settings.from_env({"DATA_DIR": str(tmp_path)})
    second = Settings.from_env({"DATA_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 40 and first.secret_key == second.secret_key
    mode = (tmp_path / "secret_key").stat().st_mode
    assert not mode & (stat.S_IRGRP | stat.S_IROTH)


def test_environment_overrides_defaults(tmp_path):
    settings = Settings.from_env(
        {
            "DATA_DIR": str(tmp_path),
            "PORT": "9001",
            "DEBUG": "true",
            "SECRET_KEY": "k" * 40,
            "DATABASE_URL": "postgres://u:p@localhost/startrip",
            "DEFAULT_LOCALE": "en",
        }
    )
    assert (settings.port, settings.debug, settings.default_locale) == (9001, True, "en")
    assert settings.database_url.startswith("postgres://")
    assert not (tmp_path / "secret_key").exists()


def test_unknown_default_locale_is_refused(tmp_path):
    with pytest.raises(ValueError, match="DEFAULT_LOCALE"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "DEFAULT_LOCALE": "fr"})


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in DOCUMENTED:
        assert f"`{name}`" in readme, name


def test_a_trusted_proxy_that_is_not_an_address_stops_the_start() -> None:
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        Settings.from_env({"TRUSTED_PROXIES": "127.0.0.1, nginx", "SECRET_KEY": "x"})
    settings = Settings.from_env({"TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8", "SECRET_KEY": "x"})
    assert settings.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
