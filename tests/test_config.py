import datetime as dt
from pathlib import Path

import pytest

from hallops.config import ConfigError, load_config


def test_defaults_are_sane() -> None:
    c = load_config(None, None, env={})
    assert (c.server.host, c.server.port) == ("127.0.0.1", 8080)
    assert c.database.path == "var/hallops.db" and c.database.synchronous == "FULL"
    assert c.service_day.timezone == "Asia/Shanghai" and c.service_day.rollover == dt.time(3, 0)


def test_file_then_env_then_flag(tmp_path: Path) -> None:
    f = tmp_path / "h.toml"
    f.write_text('[database]\npath = "from-file.db"\n[service_day]\nrollover = "04:30"\n')
    assert load_config(f, None, env={}).database.path == "from-file.db"
    assert load_config(None, None, env={"HALLOPS_CONFIG": str(f), "HALLOPS_DB": "env.db"}).database.path == "env.db"
    c = load_config(f, "flag.db", env={"HALLOPS_DB": "env.db"})
    assert c.database.path == "flag.db" and c.service_day.rollover == dt.time(4, 30)


@pytest.mark.parametrize(("text", "named"), [
    ('[server]\nport = 70000\n', "server.port"),
    ('[service_day]\ntimezone = "Mars/Olympus"\n', "service_day.timezone"),
    ('[database]\nsynchronous = "OFF"\n', "database.synchronous"),
    ('[tickets]\nrecal_limit = 3\n', "tickets.recal_limit"),
    ('[nonsense]\nx = 1\n', "nonsense"),
    ('[service_day]\nrollover = "25:00"\n', "service_day.rollover"),
])
def test_a_bad_key_is_named(tmp_path: Path, text: str, named: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(f, None, env={})
    assert named in str(e.value)


def test_missing_or_broken_files_say_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", None, env={})
    (tmp_path / "broken.toml").write_text("[server\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "broken.toml", None, env={})
