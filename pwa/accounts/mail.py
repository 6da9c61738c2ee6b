"""Email (issue 16, item 2): the messages the app sends and the SMTP that carries them.

With SMTP_HOST set, a message goes through that server (smtplib, in a thread so the event loop
never waits on the network), with STARTTLS, SSL or neither as SMTP_SECURITY says, logged in with
SMTP_USER/SMTP_PASSWORD when given, from MAIL_FROM. Without SMTP_HOST (development, `make run`)
the whole message is written to the logger "pwa.messages" instead, so a sign-up or a reset can
be finished from the terminal. Nothing else ever logs a message's text: it holds a one-time
link.

Each message is plain text in the recipient's language (the caller chooses it: the account's
language, else the page's). Its links are absolute, from PUBLIC_URL (settings.link).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from pwa import i18n
from pwa.i18n import _
from pwa.settings import Settings

log = logging.getLogger(__name__)
messages_log = logging.getLogger("pwa.messages")
# Long enough for a slow server, short enough that a dead one does not hold a thread for long.
TIMEOUT_SECONDS = 30


def _show_messages_log() -> None:
    """The log mode's messages reach the terminal even where nothing set up logging (uvicorn
    sets up only its own loggers); they still go up to the root logger too (tests read them
    there)."""
    if not messages_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s\n%(message)s"))
        messages_log.addHandler(handler)
    if messages_log.level == logging.NOTSET:
        messages_log.setLevel(logging.INFO)


def sendable(address: str) -> bool:
    """One plain address that a mail header reads back as typed: EMAIL_RE lets through
    commas, angle brackets, quotes and the like, which a header would read as another address
    or none."""
    try:
        return Address(addr_spec=address).addr_spec == address
    except Exception:  # the email package's parse errors and defects have no common base
        return False


def build(settings: Settings, to: str, subject: str, text: str, locale: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    sender_domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "startrip.invalid"
    message["Message-ID"] = make_msgid(domain=sender_domain)
    # RFC 3834: an automatic message; auto-responders (out of office) do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    # After set_content, which replaces the Content-* headers.
    message["Content-Language"] = i18n.HTML_LANG.get(locale, locale)
    return message


async def send(settings: Settings, to: str, subject: str, text: str, locale: str = "") -> None:
    """Send one message (raises OSError or smtplib.SMTPException when the server fails)."""
    message = build(settings, to, subject, text, locale or i18n.current_locale())
    if not settings.smtp_host:
        _show_messages_log()
        messages_log.info(
            "Email (not sent: SMTP_HOST is empty)\nFrom: %s\nTo: %s\nSubject: %s\n\n%s",
            settings.mail_from,
            to,
            subject,
            text,
        )
        return
    await asyncio.to_thread(_deliver, settings, message, to)


async def send_quietly(
    settings: Settings, to: str, subject: str, text: str, locale: str = ""
) -> None:
    """Send after the answer has gone (a background task): the answer takes as long whether a
    message is sent or not, so its timing does not tell which emails have accounts. A failure
    is logged without the message, whose link must stay secret."""
    try:
        await send(settings, to, subject, text, locale)
    except (OSError, smtplib.SMTPException) as exc:
        log.error(
            "could not send an email to …@%s through %s: %s",
            to.rpartition("@")[2],
            settings.smtp_host,
            type(exc).__name__,
        )


def tls_context() -> ssl.SSLContext:
    """The system's trusted certificates, the server's name checked (the tests swap in one that
    trusts their own server's certificate)."""
    return ssl.create_default_context()


def _deliver(settings: Settings, message: EmailMessage, to: str) -> None:
    context = tls_context()
    client: smtplib.SMTP
    if settings.smtp_security == "ssl":
        client = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS, context=context
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
    with client:
        if settings.smtp_security == "starttls":
            client.starttls(context=context)
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
        # The envelope names the one typed address, whatever its header might be read as.
        client.send_message(message, to_addrs=[to])


# --- the messages ----------------------------------------------------------------------------
# Each returns (subject, text) in the language in use: call it inside i18n.use_locale(…).


def sign_up_message(link: str, hours: int) -> tuple[str, str]:
    subject = _("Finish making your Startrip account")
    text = "\n\n".join(
        [
            _("Hello,"),
            _("Somebody (we hope you) started making a Startrip account with this email address."),
            _("To finish making the account, open this link:"),
            link,
            _("The link works once, for %(hours)s hours.", hours=hours),
            _("If it was not you, do nothing: no account is made without the link."),
            _("Startrip"),
        ]
    )
    return subject, text


def known_email_message(
    log_in: str, forgot: str, invitation: bool, *, by_code: bool = False
) -> tuple[str, str]:
    """For an email that has an account already: the sign-up page cannot say so (it would tell
    anyone which emails have accounts), so the owner learns it here."""
    subject = _("Somebody tried to make a Startrip account with your email")
    parts = [
        _("Hello,"),
        _(
            "Somebody (we hope you) tried to make a new Startrip account with this email"
            " address. This email already has an account, so no new account was made."
        ),
        _("To log in to your account, open this link:"),
        log_in,
        _("Forgot your password? Set a new one here:"),
        forgot,
    ]
    if invitation and by_code:
        # A centre's code typed at /join: the code is not in this message (the address may be
        # a stranger's, mistyped), so the owner types it again.
        parts.append(
            _(
                "If you wanted to join a family with a code from a centre: log in first, then"
                " type the code again."
            )
        )
    elif invitation:
        parts.append(
            _(
                "If you wanted to accept an invitation: log in first, then open the invitation"
                " link again."
            )
        )
    parts += [_("If it was not you, do nothing: your account has not changed."), _("Startrip")]
    return subject, "\n\n".join(parts)


def reset_message(link: str, hours: int) -> tuple[str, str]:
    subject = _("Set a new Startrip password")
    text = "\n\n".join(
        [
            _("Hello,"),
            _("Somebody (we hope you) asked to set a new password for your Startrip account."),
            _("To set a new password, open this link:"),
            link,
            _("The link works once, for %(hours)s hours.", hours=hours)
            if hours != 1
            else _("The link works once, for 1 hour."),
            _(
                "After the change, every phone or computer where the account is logged in is"
                " logged out."
            ),
            _("If it was not you, do nothing: your password has not changed."),
            _("Startrip"),
        ]
    )
    return subject, text


def check_email_message(link: str, hours: int) -> tuple[str, str]:
    subject = _("Check your email address for Startrip")
    text = "\n\n".join(
        [
            _("Hello,"),
            _("To show that this email address is yours, open this link:"),
            link,
            _("The link works once, for %(hours)s hours.", hours=hours),
            _("If you do not have a Startrip account, do nothing."),
            _("Startrip"),
        ]
    )
    return subject, text
