"""Every setting, declared once, read from the environment with defaults that work after cloning."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from pwa import ROOT

SUPPORTED_LOCALES = ("zh_Hans", "en")


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _words(value: str) -> tuple[str, ...]:
    """A comma-separated setting as its parts, blanks dropped."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


# The push services of the browsers people use (Chrome/Edge/Android via FCM, Firefox, Safari,
# Windows). A subscription to any other host is refused.
DEFAULT_PUSH_SERVICES = ",".join(
    [
        "fcm.googleapis.com",
        "android.googleapis.com",
        "updates.push.services.mozilla.com",
        "*.push.apple.com",
        "*.notify.windows.com",
    ]
)


def _secret_key(data_dir: Path) -> str:
    """Use SECRET_KEY when given; otherwise make one on first run and keep it under data/."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Written with owner-only permissions: anyone holding this key can forge sessions.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def database_url_from_env(env: dict[str, str] | None = None) -> str:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("DATA_DIR", str(ROOT / "data")))
    return env.get("DATABASE_URL") or f"sqlite://{data_dir / 'startrip.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    """The documented settings (README "Settings"); a test checks the two stay in step."""

    port: int = 8000
    database_url: str = ""
    secret_key: str = field(default="", repr=False)
    debug: bool = False
    default_locale: str = "zh_Hans"
    data_dir: Path = ROOT / "data"
    # Web Push to a push service on this machine (http://127.0.0.1): only for tests.
    push_allow_local: bool = False
    # The session cookie is sent over HTTPS only (docs/DEPLOY.md: on behind TLS).
    secure_cookies: bool = False
    # Addresses of the reverse proxies whose X-Forwarded-For names the real client (docs/DEPLOY.md).
    # Empty: the connection's own address is the client's, and the header is ignored.
    trusted_proxies: tuple[str, ...] = ()
    # Host names of the Web Push services the server may send to (https only). A leading "*."
    # allows any subdomain.
    push_services: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("DATA_DIR", str(ROOT / "data")))
        locale = env.get("DEFAULT_LOCALE", "zh_Hans")
        if locale not in SUPPORTED_LOCALES:
            raise ValueError(f"DEFAULT_LOCALE must be one of {SUPPORTED_LOCALES}, not {locale!r}")
        proxies = _words(env.get("TRUSTED_PROXIES", ""))
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"TRUSTED_PROXIES: {proxy!r} is not an address or a network"
                ) from None
        return cls(
            port=int(env.get("PORT", "8000")),
            database_url=database_url_from_env(env),
            secret_key=env.get("SECRET_KEY") or _secret_key(data_dir),
            debug=_bool(env.get("DEBUG", "false")),
            default_locale=locale,
            data_dir=data_dir,
            push_allow_local=_bool(env.get("PUSH_ALLOW_LOCAL", "false")),
            secure_cookies=_bool(env.get("SECURE_COOKIES", "false")),
            trusted_proxies=proxies,
            push_services=_words(env.get("PUSH_SERVICES", DEFAULT_PUSH_SERVICES)),
        )


# The names documented in the README's settings table, in order.
DOCUMENTED = (
    "PORT",
    "DATABASE_URL",
    "SECRET_KEY",
    "DEBUG",
    "DEFAULT_LOCALE",
    "DATA_DIR",
    "PUSH_ALLOW_LOCAL",
    "SECURE_COOKIES",
    "TRUSTED_PROXIES",
    "PUSH_SERVICES",
)
