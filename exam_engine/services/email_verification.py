"""Self-registration that proves the address and tells no one which addresses have accounts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from exam_engine.models import User
from exam_engine.services import accounts, audit, mail, outbox
from exam_engine.services.account_links import RESET, VERIFY, Links, follow
from exam_engine.services.errors import Conflict, NotFound
from exam_engine.services.passwords import hash_password
from exam_engine.services.transaction import transaction

SITE = "AAISM exam engine"


def register(
    session: Session, links: Links, email: str, password: str, name: str = ""
) -> mail.Delivery:
    """Create an unverified candidate and mail them a link; for a taken address, mail its owner.

    Both ways hash a password and send (or queue) one mail, and the caller gets the same kind
    of answer, so neither the page nor its timing tells whether the address already had an
    account. Without a queue the new account is committed only once its mail was accepted
    (MailNotSent otherwise); with one, the account is committed and its mail queued after.
    """
    try:
        user = accounts.new_user(session, email, password, name=name, verified=False)
    except Conflict:
        return _tell_owner(session, links, email, password)
    try:
        with transaction(session):
            session.add(user)
            session.flush()
            message = _link_message(links, user)
            sent = outbox.send_now(message)
    except Conflict:
        # Another registration of the same address won the race: its owner hears of this one.
        return _tell_owner(session, links, email, password)
    return sent or outbox.send_later(session, message)


def resend(session: Session, links: Links, user_id: int) -> mail.Delivery:
    """Mail a fresh verification link to a signed-in, unverified user."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound(f"user {user_id} not found")
    if user.email_verified:
        raise Conflict("email: your address is already verified")
    return outbox.send(session, _link_message(links, user), user_id=user.id)


def verify(session: Session, links: Links, token: str) -> User:
    """Mark the address of a followed verification link as proven; the link then stops working."""
    with transaction(session):
        user = follow(session, links, VERIFY, token, lock=True)
        user.email_verified = True
        audit.record(
            session, user.id, "account.verified", "user", user.id, f"{user.email} verified"
        )
    return user


def _tell_owner(session: Session, links: Links, email: str, password: str) -> mail.Delivery:
    """Mail the owner of a taken address that someone tried to register it, with a reset link."""
    # The same costly hash a new account gets, so that this path takes as long.
    hash_password(password)
    user = accounts.find_user(session, accounts.normalize_email(email))
    if user is None:  # deleted between the check and now: nothing to tell
        raise Conflict("email: try again")
    if not user.is_active:
        body = (
            f"Someone tried to register an account on the {SITE} with this address, which "
            "belongs to a closed account. Nothing was changed. If you want the account back, "
            "ask an administrator."
        )
    else:
        body = (
            f"Someone, perhaps you, tried to register an account on the {SITE} with this "
            "address. It already has an account, so nothing was created and nothing changed.\n\n"
            "If it was you and you have forgotten your password, set a new one here (the link "
            f"works once, for {links.reset_minutes} minutes):\n\n"
            f"{links.link(RESET, user)}\n\n"
            "If it was not you, you can ignore this mail."
        )
    return outbox.send(
        session, outbox.Message(user.email, f"Registration attempt on the {SITE}", body)
    )


def _link_message(links: Links, user: User) -> outbox.Message:
    """The mail that gives ``user`` a link verifying their address."""
    body = (
        f"Welcome to the {SITE}.\n\n"
        "To finish registering, confirm that this address is yours by opening this link "
        f"(it works once, for {links.verify_hours} hours):\n\n"
        f"{links.link(VERIFY, user)}\n\n"
        "If you did not register, ignore this mail: the account stays unusable."
    )
    return outbox.Message(user.email, f"Confirm your email for the {SITE}", body)
