import pytest

from juanzong_shared.settings import Settings, SettingsError, load_settings

pytestmark = pytest.mark.unit


def test_defaults_and_derived_names(monkeypatch):
    monkeypatch.setenv("JZ_SERVICE_NAME", "scan-ocr")
    settings = load_settings(Settings)
    assert settings.database_name == "juanzong_scan_ocr"
    assert settings.exchange == "juanzong.events"


def test_lists_from_comma_separated_env(monkeypatch):
    monkeypatch.setenv("JZ_BUS_RETRY_DELAYS_MS", "100, 200,300")
    monkeypatch.setenv("JZ_CORS_ORIGINS", "https://a.court,https://b.court")
    settings = load_settings(Settings)
    assert settings.bus_retry_delays_ms == [100, 200, 300]
    assert settings.cors_origins == ["https://a.court", "https://b.court"]


@pytest.mark.parametrize(("name", "value"), [
    ("JZ_AMQP_URL", "http://rabbit"), ("JZ_MONGO_URL", "postgres://x"), ("JZ_S3_ENDPOINT", "http://s3:9000"),
    ("JZ_HTTP_PORT", "70000"), ("JZ_BUS_NAMESPACE", "Bad Name"), ("JZ_LOG_LEVEL", "LOUD"),
])
def test_bad_setting_exits_with_one_line_naming_it(monkeypatch, capsys, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(Settings)
    err = capsys.readouterr().err.strip()
    assert name in err and "\n" not in err
    assert name in str(raised.value)
