"""Every setting, declared once, read from the environment with defaults that work after cloning."""

from __future__ import annotations

import base64
import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime
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


def _choice(env: dict[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name, default).strip().lower() or default
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, not {value!r}")
    return value


def _days(env: dict[str, str], name: str, default: int) -> int:
    typed = env.get(name, str(default)).strip()
    if not typed.isdigit() or int(typed) < 1:
        raise ValueError(f"{name} must be a number of days, 1 or more, not {typed!r}")
    return int(typed)


def _seconds(env: dict[str, str], name: str, default: int) -> int:
    typed = env.get(name, str(default)).strip()
    if not typed.isdigit():
        raise ValueError(f"{name} must be a number of seconds, 0 or more, not {typed!r}")
    return int(typed)


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


def _vapid_key(text: str) -> str:
    """VAPID_PRIVATE_KEY: the raw P-256 private key, 32 bytes in base64url (what
    `python -m pwa vapid-key` prints, and what web-push tools call the private key)."""
    key = text.strip()
    if not key:
        return ""
    try:
        raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    except ValueError:  # binascii.Error is one
        raw = b""
    if len(raw) != 32:
        raise ValueError(
            "VAPID_PRIVATE_KEY must be a raw P-256 private key: 32 bytes in base64url "
            "(python -m pwa vapid-key prints the one this server uses)"
        )
    return key


def _moment(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"CLOCK_AT must be a time like 2026-12-02T10:00:00+08:00, not {text!r}"
        ) from None
    if moment.tzinfo is None:
        raise ValueError("CLOCK_AT needs its offset from UTC, like 2026-12-02T10:00:00+08:00")
    return moment


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
    # The Web Push (VAPID) private key, base64url; empty: made once and kept in
    # DATA_DIR/vapid_private.pem. Several app processes share one (docs/DEPLOY.md).
    vapid_private_key: str = field(default="", repr=False)
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
    # The address families open, for links in messages (an email's reset link). Empty:
    # http://127.0.0.1:PORT.
    public_url: str = ""
    # SMS (one-time codes): "log" writes each message to the log (development); "aliyun" sends
    # it through Alibaba Cloud SMS (dysmsapi SendSms) with the key, secret, sign name and
    # template below; sms_endpoint lets the tests' stand-in provider take the requests.
    sms_provider: str = "log"
    sms_access_key_id: str = ""
    sms_access_key_secret: str = field(default="", repr=False)
    sms_sign_name: str = ""
    sms_template_code: str = ""
    sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    # Email through SMTP; no host: each message is written to the log (development).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    # "starttls", "ssl" (port 465) or "none" (a server on this machine).
    smtp_security: str = "starttls"
    mail_from: str = "Startrip <noreply@startrip.invalid>"
    # How long records that only serve a while are kept before `python -m pwa purge` removes
    # them (issue 16; the privacy notice states the same times).
    keep_op_log_days: int = 90
    keep_field_history_days: int = 365
    keep_login_failures_days: int = 7
    # How often the app gives ended vouchers' unspent balances back to their centres' budgets
    # (pwa/budgets/services.expire_vouchers), starting when it starts; 0: never (run
    # `python -m pwa expire-vouchers` from cron instead).
    expiry_every_seconds: int = 3600
    # Browser tests only: the server's clock starts at this moment (ISO 8601 with its offset)
    # and runs on; None: the real time. Never set in production.
    clock_at: datetime | None = None

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
            vapid_private_key=_vapid_key(env.get("VAPID_PRIVATE_KEY", "")),
            debug=_bool(env.get("DEBUG", "false")),
            default_locale=locale,
            data_dir=data_dir,
            push_allow_local=_bool(env.get("PUSH_ALLOW_LOCAL", "false")),
            secure_cookies=_bool(env.get("SECURE_COOKIES", "false")),
            trusted_proxies=proxies,
            push_services=_words(env.get("PUSH_SERVICES", DEFAULT_PUSH_SERVICES)),
            public_url=env.get("PUBLIC_URL", "").rstrip("/"),
            sms_provider=_choice(env, "SMS_PROVIDER", "log", ("log", "aliyun")),
            sms_access_key_id=env.get("SMS_ACCESS_KEY_ID", ""),
            sms_access_key_secret=env.get("SMS_ACCESS_KEY_SECRET", ""),
            sms_sign_name=env.get("SMS_SIGN_NAME", ""),
            sms_template_code=env.get("SMS_TEMPLATE_CODE", ""),
            sms_endpoint=env.get("SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
            smtp_host=env.get("SMTP_HOST", ""),
            smtp_port=int(env.get("SMTP_PORT", "587")),
            smtp_user=env.get("SMTP_USER", ""),
            smtp_password=env.get("SMTP_PASSWORD", ""),
            smtp_security=_choice(env, "SMTP_SECURITY", "starttls", ("starttls", "ssl", "none")),
            mail_from=env.get("MAIL_FROM", "Startrip <noreply@startrip.invalid>"),
            keep_op_log_days=_days(env, "KEEP_OP_LOG_DAYS", 90),
            keep_field_history_days=_days(env, "KEEP_FIELD_HISTORY_DAYS", 365),
            keep_login_failures_days=_days(env, "KEEP_LOGIN_FAILURES_DAYS", 7),
            expiry_every_seconds=_seconds(env, "EXPIRY_EVERY_SECONDS", 3600),
            clock_at=_moment(env.get("CLOCK_AT", "")),
        )

    def link(self, path: str) -> str:
        """An absolute link for a message sent outside the app (email, SMS)."""
        return (self.public_url or f"http://127.0.0.1:{self.port}") + path


# The names documented in the README's settings table, in order.
DOCUMENTED = (
    "PORT",
    "DATABASE_URL",
    "SECRET_KEY",
    "VAPID_PRIVATE_KEY",
    "DEBUG",
    "DEFAULT_LOCALE",
    "DATA_DIR",
    "PUSH_ALLOW_LOCAL",
    "SECURE_COOKIES",
    "TRUSTED_PROXIES",
    "PUSH_SERVICES",
    "PUBLIC_URL",
    "SMS_PROVIDER",
    "SMS_ACCESS_KEY_ID",
    "SMS_ACCESS_KEY_SECRET",
    "SMS_SIGN_NAME",
    "SMS_TEMPLATE_CODE",
    "SMS_ENDPOINT",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "SMTP_SECURITY",
    "MAIL_FROM",
    "KEEP_OP_LOG_DAYS",
    "KEEP_FIELD_HISTORY_DAYS",
    "KEEP_LOGIN_FAILURES_DAYS",
    "EXPIRY_EVERY_SECONDS",
    "CLOCK_AT",
)
