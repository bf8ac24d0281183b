"""`config` shows each effective setting with its source, secrets redacted; `config check FILE`
reports syntax and value errors at their file and line, whatever the environment says."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.__main__ import main


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("HELPWIRE_") or name == "PORT":
            monkeypatch.delenv(name)


def test_config_shows_file_environment_and_default_sources_with_secrets_redacted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _clean_env(monkeypatch)
    config = tmp_path / "helpwire.toml"
    config.write_text('port = 9000\nsecret_key = "very-secret-value"\n'
                      '[reports]\ntimezone = "Europe/Helsinki"\n')
    monkeypatch.setenv("HELPWIRE_LOG_LEVEL", "debug")
    monkeypatch.setenv("HELPWIRE_DATA_DIR", str(tmp_path / "data"))
    assert main(["--config", str(config), "config"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["port"].split()[1:] == ["9000", "(file)"]
    assert lines["log_level"].split()[1:] == ['"DEBUG"', "(environment)"]
    assert lines["reports.timezone"].split()[1:] == ['"Europe/Helsinki"', "(file)"]
    assert lines["promise_seconds"].endswith("(default)")
    assert lines["secret_key"].split()[1:] == ['"<redacted>"', "(file)"]
    assert "very-secret-value" not in "\n".join(lines.values())


def test_config_check_accepts_a_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "ok.toml"
    config.write_text("port = 9000\n[reports]\nfcr_window_hours = 48\n")
    assert main(["config", "check", str(config)]) == 0
    assert capsys.readouterr().out.strip() == f"{config}: valid"


def test_config_check_reports_a_syntax_error_at_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("port = 9000\n\nlog_level = \n")
    assert main(["config", "check", str(config)]) == 1
    assert capsys.readouterr().err.startswith(f"{config}:3: ")


def test_config_check_reports_each_invalid_value_at_its_line_despite_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HELPWIRE_LOG_LEVEL", "INFO")  # must not hide the file's bad value
    config = tmp_path / "bad.toml"
    config.write_text('port = 9000\nlog_level = "LOUD"\n\n[reports]\nfcr_window_hours = "x"\n')
    assert main(["config", "check", str(config)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert any(e.startswith(f"{config}:2: log_level:") for e in errors), errors
    assert any(e.startswith(f"{config}:5: reports.fcr_window_hours:") for e in errors), errors


def test_config_check_reports_an_unknown_setting_at_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "typo.toml"
    config.write_text("port = 9000\npromise_secnds = 60\n")
    assert main(["config", "check", str(config)]) == 1
    assert capsys.readouterr().err.startswith(f"{config}:2: promise_secnds:")
