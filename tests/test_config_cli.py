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
    config.write_text('[network]\nport = 9000\n[security]\nsecret_key = "very-secret-value"\n'
                      '[reports]\ntimezone = "Europe/Helsinki"\n')
    monkeypatch.setenv("HELPWIRE_LOG__LEVEL", "debug")
    monkeypatch.setenv("HELPWIRE_STORAGE__DATA_DIR", str(tmp_path / "data"))
    assert main(["--config", str(config), "config"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["network.port"].split()[1:] == ["9000", "(file)"]
    assert lines["log.level"].split()[1:] == ['"DEBUG"', "(environment)"]
    assert lines["reports.timezone"].split()[1:] == ['"Europe/Helsinki"', "(file)"]
    assert lines["dispatch.promise_seconds"].endswith("(default)")
    assert lines["security.secret_key"].split()[1:] == ['"<redacted>"', "(file)"]
    assert "very-secret-value" not in "\n".join(lines.values())


def test_config_check_accepts_a_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "ok.toml"
    config.write_text("[network]\nport = 9000\n[reports]\nfcr_window_hours = 48\n")
    assert main(["config", "check", str(config)]) == 0
    assert capsys.readouterr().out.strip() == f"{config}: valid"


def test_config_check_reports_a_syntax_error_at_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("[network]\nport = 9000\n\n[log]\nlevel = \n")
    assert main(["config", "check", str(config)]) == 1
    assert capsys.readouterr().err.startswith(f"{config}:5: ")


def test_config_check_reports_each_invalid_value_at_its_line_despite_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HELPWIRE_LOG__LEVEL", "INFO")  # must not hide the file's bad value
    config = tmp_path / "bad.toml"
    config.write_text('[log]\nlevel = "LOUD"\n\n[reports]\nfcr_window_hours = "x"\n')
    assert main(["config", "check", str(config)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert any(e.startswith(f"{config}:2: log.level:") for e in errors), errors
    assert any(e.startswith(f"{config}:5: reports.fcr_window_hours:") for e in errors), errors


def test_config_check_reports_an_unknown_setting_at_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "typo.toml"
    config.write_text("labels = []\npromise_secnds = 60\n")
    assert main(["config", "check", str(config)]) == 1
    assert capsys.readouterr().err.startswith(f"{config}:2: promise_secnds:")


def test_config_check_warns_about_each_old_flat_name_at_its_line_and_names_the_new_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "old.toml"
    config.write_text('labels = []\nport = 9000\nlog_level = "debug"\n')
    assert main(["config", "check", str(config)]) == 0  # still valid for this release
    captured = capsys.readouterr()
    assert captured.out.strip() == f"{config}: valid"
    warnings = captured.err.splitlines()
    assert warnings[0].startswith(f"{config}:2: port: warning: port is deprecated")
    assert "use network.port (section [network])" in warnings[0]
    assert warnings[1].startswith(f"{config}:3: log_level: warning:")
    assert "use log.level" in warnings[1]


def test_config_check_reports_a_bad_value_under_an_old_name_at_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "old.toml"
    config.write_text("labels = []\nport = 70000\n")
    assert main(["config", "check", str(config)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert any(e.startswith(f"{config}:2: network.port:") for e in errors), errors


def test_config_shows_an_old_environment_name_under_its_new_one_and_warns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _clean_env(monkeypatch)
    monkeypatch.setenv("HELPWIRE_PORT", "9100")
    assert main(["config"]) == 0
    captured = capsys.readouterr()
    lines = {line.split()[0]: line for line in captured.out.splitlines()}
    assert lines["network.port"].split()[1:] == ["9100", "(environment)"]
    assert "port" not in lines
    assert ("warning: HELPWIRE_PORT is deprecated and will stop working in the next release;"
            " use HELPWIRE_NETWORK__PORT") in captured.err
