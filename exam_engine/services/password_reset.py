"""Forgotten passwords: a mailed link, good once for an hour, sets a new one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from exam_engine.models import User
from exam_engine.services import accounts, audit, mail, outbox
from exam_engine.services.account_links import RESET, Links, follow
from exam_engine.services.email_verification import SITE
from exam_engine.services.transaction import transaction


def request_reset(session: Session, links: Links, email: str) -> mail.Delivery:
    """Mail a reset link to the address's account, or say there is none; send one mail either way.

    The caller shows the same answer whatever happened, and every way sends (or, with a queue,
    queues) exactly one mail, so the page and its timing tell nothing about which addresses
    have accounts.
    """
    address = accounts.normalize_email(email)
    user = accounts.find_user(session, address)
    if user is not None and user.is_active:
        body = (
            f"Someone, perhaps you, asked to reset the password of your account on the {SITE}.\n\n"
            f"To choose a new password, open this link (it works once, for "
            f"{links.reset_minutes} minutes):\n\n"
            f"{links.link(RESET, user)}\n\n"
            "Setting a new password signs you out everywhere. If you did not ask for this, "
            "ignore this mail: your password stays as it is."
        )
    elif user is not None:
        body = (
            f"Someone asked to reset the password of the account on the {SITE} with this "
            "address, but that account is closed, so nothing was changed. If you want it back, "
            "ask an administrator."
        )
    else:
        body = (
            f"Someone, perhaps you, asked to reset a password on the {SITE} for this address, "
            "but no account uses it. If you have an account, it may be under another address. "
            f"To make one with this address, register here:\n\n{links.page('register', None)}\n\n"
            "If it was not you, ignore this mail."
        )
    return outbox.send(session, outbox.Message(address, f"Password reset on the {SITE}", body))


def check_link(session: Session, links: Links, token: str) -> User:
    """Return the account a reset link is for, or raise LinkRefused / LinkGone."""
    return follow(session, links, RESET, token)


def reset_password(session: Session, links: Links, token: str, new_password: str) -> User:
    """Set the new password a reset link was followed for; every session of the account ends.

    Following the link also proves the address, so an unverified account becomes verified.
    """
    with transaction(session):
        user = follow(session, links, RESET, token, lock=True)
        accounts.apply_new_password(session, user, new_password)
        audit.record(
            session,
            user.id,
            "account.password",
            "user",
            user.id,
            f"{user.email} reset their password by a mailed link",
        )
        user.email_verified = True
    return user
