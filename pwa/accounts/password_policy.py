"""Which new passwords are accepted (issue 16, item 4; NIST SP 800-63B, 5.1.1.2).

A new password (sign-up, invitation sign-up, reset, change) must:
- have PASSWORD_MIN to PASSWORD_MAX characters (any characters: spaces and Chinese too);
- not be on the list of common passwords (common_passwords.txt, its sources and licence at its
  top), compared in lower case: "Password" is as common as "password";
- be hard enough to guess for the zxcvbn estimator: score 3 or more (about 10^8 guesses, what
  zxcvbn calls "safely unguessable: moderate protection from offline attacks"), counting the
  account's own name and email as words an attacker tries first.

No rules about kinds of characters (NIST asks for none): a few words that do not go together
pass, "Passw0rd!" does not. The reason for a refusal is our own translated sentence, picked
from what zxcvbn found (its own feedback is English only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from zxcvbn import zxcvbn

from pwa.core.forms import PASSWORD_MIN
from pwa.i18n import _, current_locale

# Long enough for any passphrase (NIST 800-63B asks for at least 64); a megabyte-long one would
# only be argon2 work for nothing.
PASSWORD_MAX = 200
MIN_SCORE = 3
# zxcvbn's matching grows fast with length (a 200-character repeat takes about a second). The
# first 72 characters are estimated, zxcvbn's own default limit: the rest can only add to the
# strength, so a password strong in its first 72 is strong.
ESTIMATE_CHARS = 72
LIST_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    lines = LIST_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_common(password: str) -> bool:
    return password.lower() in common_passwords()


def problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """What is wrong with this new password, in the page's language; None when it is good.

    user_inputs: the account's name, email and the like, which a guesser tries first."""
    if len(password) < PASSWORD_MIN:
        return _("The password needs at least %(n)s characters.", n=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        return _("A password can have at most %(n)s characters.", n=PASSWORD_MAX)
    if is_common(password):
        return _("Many people use this password, so it is easy to guess. Choose another one.")
    result = zxcvbn(
        password[:ESTIMATE_CHARS], user_inputs=_words(user_inputs), max_length=ESTIMATE_CHARS
    )
    if result["score"] >= MIN_SCORE:
        return None
    tip = _("Add another word or two. Words that do not go together are best.")
    # Chinese sentences follow each other without a space.
    space = "" if current_locale().startswith("zh") else " "
    return _reason(result["sequence"]) + space + tip


def _words(user_inputs: Iterable[str]) -> list[str]:
    """What a guesser tries first from a name or an email: each whole, the email's part before
    the @, their pieces ("li", "ming" of "Li Ming" or li.ming@…) and the pieces run together
    ("liming")."""
    words: list[str] = []
    for each in user_inputs:
        each = each.lower()
        if not each:
            continue
        words.append(each)
        local = each.split("@", 1)[0]
        pieces = [piece for piece in re.split(r"[\W_]+", local) if piece]
        words += [local, "".join(pieces), *pieces]
    return list(dict.fromkeys(word for word in words if word))


def _reason(sequence: list[dict[str, Any]]) -> str:
    """Our words for the weakest part zxcvbn found: the account's own words first, else the
    longest part (as zxcvbn's own feedback picks it)."""
    if any(match.get("dictionary_name") == "user_inputs" for match in sequence):
        return _("The password has your name or your email in it.")
    if not sequence:
        return _("This password is easy to guess.")
    longest = max(sequence, key=lambda match: len(match["token"]))
    pattern = longest["pattern"]
    if pattern == "dictionary":
        if longest.get("dictionary_name") == "passwords":
            return _("This is close to a password many people use.")
        return _("A common word or name by itself is easy to guess.")
    if pattern == "spatial":
        return _("Keys next to each other, like qwerty or 1qaz, are easy to guess.")
    if pattern == "repeat":
        return _("Repeated letters or numbers, like aaaa or 1212, are easy to guess.")
    if pattern == "sequence":
        return _("Letters or numbers in order, like abcd or 6543, are easy to guess.")
    if pattern in ("regex", "date"):
        return _("Dates and years are easy to guess.")
    return _("This password is easy to guess.")
