"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd), keeping every message it receives
for the test to read, as if it had arrived in the mailbox.

Plain (SMTP_SECURITY=none) by default. With tls=True it offers STARTTLS with a certificate made
here for 127.0.0.1 and refuses mail before it (require_starttls), and with a user it also asks
for AUTH LOGIN/PLAIN with that user and password: the app's STARTTLS path then runs for real
(the test makes the app trust the certificate: `trusting`).
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LINK = re.compile(r"https?://\S+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Received:
    """One message as the server got it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None, "every message has a plain text part"
        return str(body.get_content())  # type: ignore[attr-defined]

    def links(self) -> list[str]:
        return LINK.findall(self.text)

    def link(self, path: str) -> str:
        """The one link of the message whose path starts with `path` (e.g. "/password/reset/")."""
        found = [
            each for each in self.links() if re.match(rf"https?://[^/]+{re.escape(path)}", each)
        ]
        assert len(found) == 1, f"one link to {path} in: {self.text}"
        return found[0]


class SmtpServer:
    def __init__(self, *, tls: ssl.SSLContext | None = None, user: str = "", password: str = ""):
        self.port = free_port()
        self.user, self.password = user, password
        self.received: list[Received] = []
        self.refused_logins = 0
        self._lock = threading.Lock()
        kwargs: dict[str, Any] = {}
        if tls is not None:
            kwargs.update(tls_context=tls, require_starttls=True)
        if user:
            kwargs.update(authenticator=self._authenticate, auth_required=True)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **kwargs)
        self.tls = tls is not None

    def env(self) -> dict[str, str]:
        """The settings that send the app's mail here."""
        env = {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.port),
            "SMTP_SECURITY": "starttls" if self.tls else "none",
            "MAIL_FROM": "Startrip <noreply@startrip.test>",
        }
        if self.user:
            env.update(SMTP_USER=self.user, SMTP_PASSWORD=self.password)
        return env

    # aiosmtpd's handler hooks
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.user
            and auth_data.password.decode() == self.password
        ):
            return AuthResult(success=True)
        self.refused_logins += 1
        return AuthResult(success=False, handled=False)

    # reading the mailbox
    def messages_to(self, address: str) -> list[Received]:
        with self._lock:
            return [each for each in self.received if address.lower() in each.rcpt_tos]

    def wait_for(self, address: str, count: int = 1, timeout: float = 15) -> Received:
        """The `count`-th message to this address, once it has arrived (the app sends after
        its answer, so a browser test waits a moment for it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages_to(address)
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.05)
        raise AssertionError(f"no message {count} to {address} within {timeout} s")


@contextmanager
def smtp_server(
    *, tls: ssl.SSLContext | None = None, user: str = "", password: str = ""
) -> Iterator[SmtpServer]:
    server = SmtpServer(tls=tls, user=user, password=password)
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


def certificate(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1: the server's TLS context, and the certificate
    file a client must trust to talk to it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file
