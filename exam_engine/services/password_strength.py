"""Password rules: a minimum length and zxcvbn's strength estimate, with its reason."""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

from exam_engine.services.errors import ValidationFailed

MIN_LENGTH = 12
# zxcvbn scores 0-4; 3 is "safely unguessable" (about 10^8 guesses and up).
MIN_SCORE = 3
# zxcvbn's time grows with length; nothing longer is needed to judge a password.
ESTIMATE_CHARS = 100
# Shorter names ("Mark") are too common inside ordinary words to refuse on sight.
MIN_OWN_CHARS = 5


def _squeeze(value: str) -> str:
    """Lowercase letters and digits only: "Ruth.Baker" and "ruth-baker" read alike."""
    return re.sub(r"[^a-z0-9]+", "", (value or "").lower())


def personal_words(email: str, name: str) -> list[str]:
    """The account's own words zxcvbn should count as known: email, its parts, the name."""
    words: set[str] = set()
    for value in (email, name):
        value = (value or "").strip().lower()
        if value:
            words.update([value, _squeeze(value.partition("@")[0])])
            words.update(part for part in re.split(r"[^a-z0-9]+", value) if len(part) >= 3)
    return sorted(word for word in words if word)


def _own_words_inside(password: str, email: str, name: str) -> bool:
    """Tell whether the password contains the email's name part or the full name."""
    squeezed = _squeeze(password)
    own = (_squeeze((email or "").partition("@")[0]), _squeeze(name))
    return any(len(word) >= MIN_OWN_CHARS and word in squeezed for word in own)


def check_password(password: str, email: str = "", name: str = "", field: str = "password") -> None:
    """Raise ValidationFailed ("field: why") unless the password is long and hard to guess.

    ``email`` and ``name`` are the account's: a password built on them is refused.
    """
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(f"{field}: must be at least {MIN_LENGTH} characters")
    if _own_words_inside(password, email, name):
        raise ValidationFailed(
            f"{field}: too easy to guess. It contains your email address or your name."
        )
    result = zxcvbn(password[:ESTIMATE_CHARS], user_inputs=personal_words(email, name))
    if result["score"] >= MIN_SCORE:
        return
    feedback = result["feedback"]
    reasons = []
    if any(match.get("dictionary_name") == "user_inputs" for match in result["sequence"]):
        # zxcvbn counts this against the password but does not say so: say it.
        reasons.append("It is built from your own email or name.")
    if feedback["warning"]:
        reasons.append(feedback["warning"])
    reasons += feedback["suggestions"]
    if not reasons:
        reasons = ["Avoid your email, your name and common words or patterns."]
    raise ValidationFailed(f"{field}: too easy to guess. " + " ".join(reasons))
