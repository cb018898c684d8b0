"""Settings from a plain mapping: defaults, and a clear one-line error for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import (
    DEFAULT_BASE_URL,
    SHIPPED_KNOWLEDGE,
    Settings,
    SettingsError,
    check_data_dir,
    load_settings,
)

TOKEN = "123456789:AAHk1Lx-Fake_Token_For_Tests_Only0123"
SECRET = "s3cret-Webhook_value"


def test_defaults_from_an_empty_environment() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.token is None
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.admin_ids == frozenset()
    assert settings.knowledge == SHIPPED_KNOWLEDGE
    assert settings.port == 8080
    assert settings.webhook_url is None


def test_missing_token_is_an_error_only_when_needed() -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        load_settings({}, need_token=True)
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        load_settings({"TELEGRAM_BOT_TOKEN": "   "}, need_token=True)
    assert load_settings({"TELEGRAM_BOT_TOKEN": TOKEN}, need_token=True).token == TOKEN


@pytest.mark.parametrize(
    "token",
    [
        "123456789",  # no secret part
        "123456789:short",
        "abc:AAHk1Lx-Fake_Token_For_Tests_Only0123",
        "123456789:AAHk1Lx Fake Token For Tests Only0123",
        TOKEN + "!",
        "bot" + TOKEN,
    ],
)
def test_malformed_token_never_echoed(token: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"TELEGRAM_BOT_TOKEN": token})
    message = str(caught.value)
    assert "TELEGRAM_BOT_TOKEN" in message
    secret_part = token.partition(":")[2] or token
    for shown in (message, repr(caught.value)):
        assert token not in shown
        assert secret_part not in shown
    assert "\n" not in message


def test_token_is_stripped_and_kept_out_of_repr() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": f"  {TOKEN}\n"})
    assert settings.token == TOKEN
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", frozenset()),
        ("42", frozenset({42})),
        ("1, 2,3", frozenset({1, 2, 3})),
        ("7,,7,", frozenset({7})),
        ("-100123456", frozenset({-100123456})),
    ],
)
def test_admin_ids(raw: str, expected: frozenset[int]) -> None:
    assert load_settings({"TRAVELBOT_ADMIN_IDS": raw}).admin_ids == expected


@pytest.mark.parametrize("raw", ["12,abc", "@admin", "1;2", "1.5", "12 34"])
def test_bad_admin_ids(raw: str) -> None:
    with pytest.raises(SettingsError, match="TRAVELBOT_ADMIN_IDS"):
        load_settings({"TRAVELBOT_ADMIN_IDS": raw})


def test_webhook_url_needs_a_secret() -> None:
    with pytest.raises(SettingsError, match="TRAVELBOT_WEBHOOK_SECRET"):
        load_settings({"TRAVELBOT_WEBHOOK_URL": "https://bot.example.org/hook"})


def test_webhook_with_secret() -> None:
    settings = load_settings(
        {
            "TRAVELBOT_WEBHOOK_URL": "https://bot.example.org/hook",
            "TRAVELBOT_WEBHOOK_SECRET": SECRET,
        }
    )
    assert settings.webhook_url == "https://bot.example.org/hook"
    assert settings.webhook_secret == SECRET
    assert settings.webhook_path == "/hook"
    assert SECRET not in repr(settings)


@pytest.mark.parametrize("url", ["http://bot.example.org/hook", "bot.example.org/hook", "https://"])
def test_webhook_url_must_be_https(url: str) -> None:
    with pytest.raises(SettingsError, match="TRAVELBOT_WEBHOOK_URL must be an https:// URL"):
        load_settings({"TRAVELBOT_WEBHOOK_URL": url, "TRAVELBOT_WEBHOOK_SECRET": SECRET})


@pytest.mark.parametrize("secret", ["has space", "semi;colon", "x" * 257])
def test_bad_webhook_secret_is_not_echoed(secret: str) -> None:
    with pytest.raises(SettingsError, match="TRAVELBOT_WEBHOOK_SECRET") as caught:
        load_settings({"TRAVELBOT_WEBHOOK_SECRET": secret})
    assert secret not in str(caught.value)


@pytest.mark.parametrize("port", ["abc", "0", "65536", "-1", "80.5"])
def test_bad_port(port: str) -> None:
    with pytest.raises(SettingsError, match="TRAVELBOT_PORT"):
        load_settings({"TRAVELBOT_PORT": port})


def test_port() -> None:
    assert load_settings({"TRAVELBOT_PORT": " 8443 "}).port == 8443
    assert load_settings({"TRAVELBOT_PORT": ""}).port == 8080


@pytest.mark.parametrize(
    ("raw", "expected"), [("", 10.0), (" 30 ", 30.0), ("2.5", 2.5), ("0", 0.0), ("86400", 86400.0)]
)
def test_reload_interval(raw: str, expected: float) -> None:
    assert load_settings({"TRAVELBOT_RELOAD_INTERVAL": raw}).reload_interval == expected


@pytest.mark.parametrize("raw", ["soon", "-1", "0.5", "86401", "nan", "inf", "1e9"])
def test_bad_reload_interval(raw: str) -> None:
    with pytest.raises(SettingsError, match="TRAVELBOT_RELOAD_INTERVAL") as caught:
        load_settings({"TRAVELBOT_RELOAD_INTERVAL": raw})
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("raw", "expected"), [("", 90), (" 30 ", 30), ("1", 1), ("3650", 3650)])
def test_retention_days(raw: str, expected: int) -> None:
    assert load_settings({"TRAVELBOT_RETENTION_DAYS": raw}).retention_days == expected


@pytest.mark.parametrize("raw", ["soon", "0", "-1", "3651", "7.5"])
def test_bad_retention_days(raw: str) -> None:
    with pytest.raises(SettingsError, match="TRAVELBOT_RETENTION_DAYS") as caught:
        load_settings({"TRAVELBOT_RETENTION_DAYS": raw})
    assert "\n" not in str(caught.value)


def test_base_url() -> None:
    local = "http://127.0.0.1:8081/bot"
    assert load_settings({"TELEGRAM_BASE_URL": local}).base_url == local
    with pytest.raises(SettingsError, match="TELEGRAM_BASE_URL"):
        load_settings({"TELEGRAM_BASE_URL": "ftp://example.org/bot"})


def test_knowledge_path_must_exist(tmp_path: Path) -> None:
    assert load_settings({"TRAVELBOT_KNOWLEDGE": str(tmp_path)}).knowledge == tmp_path
    with pytest.raises(SettingsError, match="TRAVELBOT_KNOWLEDGE"):
        load_settings({"TRAVELBOT_KNOWLEDGE": str(tmp_path / "missing")})


def test_log_settings() -> None:
    settings = load_settings({"TRAVELBOT_LOG_FORMAT": "JSON", "TRAVELBOT_LOG_LEVEL": "debug"})
    assert (settings.log_format, settings.log_level) == ("json", "DEBUG")
    with pytest.raises(SettingsError, match="TRAVELBOT_LOG_FORMAT"):
        load_settings({"TRAVELBOT_LOG_FORMAT": "xml"})
    with pytest.raises(SettingsError, match="TRAVELBOT_LOG_LEVEL"):
        load_settings({"TRAVELBOT_LOG_LEVEL": "loud"})


def test_masked_hides_token_and_secret() -> None:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TRAVELBOT_WEBHOOK_URL": "https://bot.example.org/hook",
            "TRAVELBOT_WEBHOOK_SECRET": SECRET,
            "TRAVELBOT_ADMIN_IDS": "2,1",
        }
    )
    shown = settings.masked()
    assert shown["token"] == "(set, hidden)"
    assert shown["webhook_secret"] == "(set, hidden)"
    assert shown["admin_ids"] == "1,2"
    assert shown["webhook_url"] == "https://bot.example.org/hook"
    everything = " ".join(shown.values())
    assert TOKEN not in everything
    assert TOKEN.partition(":")[2] not in everything
    assert SECRET not in everything


def test_masked_says_what_is_not_set() -> None:
    shown = Settings().masked()
    assert shown["token"] == "(not set)"
    assert shown["webhook_secret"] == "(not set)"
    assert shown["webhook_url"] == "(not set)"
    assert shown["admin_ids"] == "(none)"


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost:9000/telegram",
        "http://[::1]:8443/x",
        "https://bot.example.org/hook",
        "https://bot.example.org:8443/hook",
        "https://bot.example.org:88/",
    ],
)
def test_webhook_url_accepted(url: str) -> None:
    env = {"TRAVELBOT_WEBHOOK_URL": url, "TRAVELBOT_WEBHOOK_SECRET": SECRET}
    settings = load_settings(env)
    assert settings.webhook_url == url
    assert settings.mode == "webhook"


def test_plain_http_only_to_loopback() -> None:
    for url in ("http://10.0.0.5:8080/hook", "http://bot.local/hook", "http://127.0.0.1.nip.io/"):
        with pytest.raises(SettingsError, match="loopback"):
            load_settings({"TRAVELBOT_WEBHOOK_URL": url, "TRAVELBOT_WEBHOOK_SECRET": SECRET})


def test_telegram_posts_only_to_its_four_ports() -> None:
    env = {"TRAVELBOT_WEBHOOK_URL": "https://bot.example.org:8080/hook"}
    env["TRAVELBOT_WEBHOOK_SECRET"] = SECRET
    with pytest.raises(SettingsError, match=r"TRAVELBOT_WEBHOOK_URL.*443, 80, 88, 8443"):
        load_settings(env)
    # a self-hosted Bot API server (TELEGRAM_BASE_URL) may post anywhere
    env["TELEGRAM_BASE_URL"] = "http://127.0.0.1:8081/bot"
    assert load_settings(env).webhook_url == "https://bot.example.org:8080/hook"


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
def test_webhook_path_cannot_shadow_the_servers_routes(path: str) -> None:
    env = {"TRAVELBOT_WEBHOOK_URL": f"https://bot.example.org{path}"}
    env["TRAVELBOT_WEBHOOK_SECRET"] = SECRET
    with pytest.raises(SettingsError, match="TRAVELBOT_WEBHOOK_URL"):
        load_settings(env)


def test_webhook_path_and_mode() -> None:
    assert Settings().mode == "polling"
    assert Settings().webhook_path == "/"
    assert Settings(webhook_url="https://x.org").webhook_path == "/"
    assert Settings(webhook_url="https://x.org/a/b?q=1").webhook_path == "/a/b"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "0.0.0.0"),
        ("127.0.0.1", "127.0.0.1"),
        ("::", "::"),
        ("[::1]", "::1"),
        ("localhost", "localhost"),
        ("travelbot.internal", "travelbot.internal"),
    ],
)
def test_listen(raw: str, expected: str) -> None:
    assert load_settings({"TRAVELBOT_LISTEN": raw}).listen == expected


@pytest.mark.parametrize(
    "raw", ["not an address", "-bad.host", "a..b", "http://0.0.0.0", "x" * 300]
)
def test_bad_listen(raw: str) -> None:
    with pytest.raises(SettingsError, match="TRAVELBOT_LISTEN") as caught:
        load_settings({"TRAVELBOT_LISTEN": raw})
    assert "\n" not in str(caught.value)


def test_check_data_dir(tmp_path: Path) -> None:
    check_data_dir(tmp_path)  # exists and writable
    check_data_dir(tmp_path / "new" / "deeper")  # can be created
    assert not (tmp_path / "new").exists()  # and was not
    (tmp_path / "file").write_text("x")
    with pytest.raises(SettingsError, match=r"TRAVELBOT_DATA_DIR .* is not a folder"):
        check_data_dir(tmp_path / "file")
    with pytest.raises(SettingsError, match="TRAVELBOT_DATA_DIR"):
        check_data_dir(tmp_path / "file" / "below")
