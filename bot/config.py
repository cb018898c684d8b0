"""Settings: read once from the environment by the CLI, then passed around frozen.

Nothing here runs at import time, so tests build settings from a plain dict and the core never
touches ``os.environ``.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
SHIPPED_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,64}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token
_SECRETS = ("token", "webhook_secret")
_HIDDEN = "[hidden]"
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
WEBHOOK_PORTS = (443, 80, 88, 8443)
"""The only ports Telegram's servers post updates to."""
RESERVED_PATHS = ("/healthz", "/metrics")
"""Routes of the webhook server itself: the webhook cannot live there."""


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names the variable and fits on one line."""


@dataclass(frozen=True)
class Settings:
    token: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    admin_ids: frozenset[int] = frozenset()
    knowledge: Path = SHIPPED_KNOWLEDGE
    data_dir: Path = Path("data")
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    listen: str = "0.0.0.0"
    port: int = 8080
    log_format: str = "text"
    log_level: str = "INFO"
    reload_interval: float = 10.0
    """Seconds between two looks at the knowledge folder's files; 0: no watching."""
    retention_days: int = 90
    """``TRAVELBOT_RETENTION_DAYS``: days the text of an unanswered question is kept in the
    question store (1 to 3650). Travellers type personal data into questions; older text is
    erased (daily, and when the store is opened), and the question counts in /stats only."""

    @property
    def mode(self) -> str:
        """``webhook`` when ``TRAVELBOT_WEBHOOK_URL`` is set, else ``polling``."""
        return "webhook" if self.webhook_url else "polling"

    @property
    def webhook_path(self) -> str:
        return urlsplit(self.webhook_url).path or "/" if self.webhook_url else "/"

    def masked(self) -> dict[str, str]:
        """The effective settings for display, secrets replaced by a mark."""
        shown: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRETS:
                shown[f.name] = "(set, hidden)" if value else "(not set)"
            elif f.name == "base_url":
                shown[f.name] = display_url(value)
            elif isinstance(value, frozenset):
                shown[f.name] = ",".join(str(v) for v in sorted(value)) or "(none)"
            else:
                shown[f.name] = "(not set)" if value is None else str(value)
        return shown


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _interval(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    """Seconds: 0 turns the periodic work off, anything else must lie in [low, high]."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value != 0 and not low <= value <= high:  # also refuses nan and inf
        raise SettingsError(
            f"{name} must be 0 (off) or between {low:g} and {high:g} seconds, got {raw!r}"
        )
    return value


def _admin_ids(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if not re.fullmatch(r"-?\d{1,20}", part):
            raise SettingsError(
                f"TRAVELBOT_ADMIN_IDS must be comma-separated Telegram user ids, got {part!r}"
            )
        ids.add(int(part))
    return frozenset(ids)


def _url(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an http:// or https:// URL, got {display_url(raw)!r}")
    return raw


def display_url(url: str) -> str:
    """``url`` fit to print: a password in it (``https://user:secret@host/``) is hidden."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return "(not a URL)"
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:{_HIDDEN}@{host}"))


def url_password(url: str) -> str | None:
    """The password in ``url``, to be masked in the logs."""
    try:
        return urlsplit(url).password or None
    except ValueError:
        return None


def is_loopback(host: str | None) -> bool:
    """``localhost``, ``127.0.0.1`` (any of 127/8) or ``::1``."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _webhook_url(raw: str, base_url: str) -> str:
    """https, or plain http to a loopback host (tests, or a self-hosted Bot API server on the
    same machine, which may post over http); the path must not shadow /healthz or /metrics;
    and Telegram's own servers post only to ports 443, 80, 88 and 8443."""
    name = "TRAVELBOT_WEBHOOK_URL"
    parts = urlsplit(raw)
    loopback = is_loopback(parts.hostname)
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise SettingsError(
            f"{name} must be an https:// URL (plain http:// only to a loopback host), got {raw!r}"
        )
    try:
        port = parts.port
    except ValueError:
        raise SettingsError(f"{name} has an invalid port, got {raw!r}") from None
    telegram_posts = base_url == DEFAULT_BASE_URL and not loopback
    if telegram_posts and port is not None and port not in WEBHOOK_PORTS:
        ports = ", ".join(str(p) for p in WEBHOOK_PORTS)
        raise SettingsError(
            f"{name}: Telegram posts only to ports {ports} (got {port}); "
            "put a reverse proxy on one of them in front of TRAVELBOT_PORT"
        )
    if (parts.path or "/") in RESERVED_PATHS:
        raise SettingsError(
            f"{name}'s path {parts.path!r} is taken by the server's own route; choose another path"
        )
    return raw


def _listen(raw: str) -> str:
    """An IP address (v4 or v6, brackets allowed) or a host name."""
    value = raw.strip() or "0.0.0.0"
    try:
        ipaddress.ip_address(value.strip("[]"))
        return value.strip("[]")
    except ValueError:
        pass
    labels = value.rstrip(".").split(".")
    if len(value) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise SettingsError(
            f"TRAVELBOT_LISTEN must be an IP address or a host name (e.g. 0.0.0.0), got {raw!r}"
        )
    return value


def check_data_dir(path: Path) -> None:
    """That the bot can keep its store and heartbeat in ``path``, without writing anything: an
    existing writable folder, or one it can create (its nearest existing parent writable)."""
    name = "TRAVELBOT_DATA_DIR"
    if path.exists():
        if not path.is_dir():
            raise SettingsError(f"{name} ({path}) is not a folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise SettingsError(f"{name} ({path}) is not writable by this user")
        return
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise SettingsError(f"{name} ({path}) does not exist and {parent} is not writable")


def load_settings(env: Mapping[str, str], *, need_token: bool = False) -> Settings:
    """Build and check the settings; raise ``SettingsError`` naming the first bad variable."""
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
    if token is None and need_token:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather and export it"
        )
    if token is not None and not _TOKEN.match(token):
        # never echo the value: a near-miss token is still a secret
        raise SettingsError("TELEGRAM_BOT_TOKEN does not look like a bot token (digits:letters)")
    base_url = env.get("TELEGRAM_BASE_URL", "").strip() or DEFAULT_BASE_URL
    _url("TELEGRAM_BASE_URL", base_url)
    webhook_url = env.get("TRAVELBOT_WEBHOOK_URL", "").strip() or None
    secret = env.get("TRAVELBOT_WEBHOOK_SECRET", "").strip() or None
    if webhook_url is not None:
        _webhook_url(webhook_url, base_url)
        if secret is None:
            raise SettingsError(
                "TRAVELBOT_WEBHOOK_SECRET is required when TRAVELBOT_WEBHOOK_URL is set"
            )
    if secret is not None and not _SECRET.match(secret):
        raise SettingsError(
            "TRAVELBOT_WEBHOOK_SECRET may hold only letters, digits, _ and - (1-256 characters)"
        )
    log_format = env.get("TRAVELBOT_LOG_FORMAT", "text").strip().lower() or "text"
    if log_format not in ("text", "json"):
        raise SettingsError(f"TRAVELBOT_LOG_FORMAT must be 'text' or 'json', got {log_format!r}")
    log_level = env.get("TRAVELBOT_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError(
            f"TRAVELBOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}"
        )
    knowledge = Path(env.get("TRAVELBOT_KNOWLEDGE", "").strip() or SHIPPED_KNOWLEDGE)
    if not knowledge.exists():
        raise SettingsError(
            f"TRAVELBOT_KNOWLEDGE points at {str(knowledge)!r}, which does not exist"
        )
    return Settings(
        token=token,
        base_url=base_url,
        admin_ids=_admin_ids(env.get("TRAVELBOT_ADMIN_IDS", "")),
        knowledge=knowledge,
        data_dir=Path(env.get("TRAVELBOT_DATA_DIR", "").strip() or "data"),
        webhook_url=webhook_url,
        webhook_secret=secret,
        listen=_listen(env.get("TRAVELBOT_LISTEN", "")),
        port=_int(env, "TRAVELBOT_PORT", 8080, 1, 65535),
        log_format=log_format,
        log_level=log_level,
        reload_interval=_interval(env, "TRAVELBOT_RELOAD_INTERVAL", 10.0, 1.0, 86_400.0),
        retention_days=_int(env, "TRAVELBOT_RETENTION_DAYS", 90, 1, 3650),
    )
