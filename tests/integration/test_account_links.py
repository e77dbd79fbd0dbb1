"""Link tokens: signed by this install, for one purpose, one account state and a time."""

from __future__ import annotations

import base64
import json

import pytest

from exam_engine.services.account_links import (
    RESET,
    VERIFY,
    LinkGone,
    LinkRefused,
    Links,
    follow,
)
from tests.factories import UserFactory

NOW = 1_800_000_000.0


def links(secret: str = "secret", now: float = NOW) -> Links:
    """Links signed with ``secret`` at ``now`` (pages are not needed here)."""
    return Links(secret=secret, now=now, page=lambda *_: "")


def test_a_token_leads_back_to_its_account(session) -> None:
    user = UserFactory()
    assert follow(session, links(), RESET, links().token(RESET, user)).id == user.id


def test_a_token_signed_with_another_key_is_refused(session) -> None:
    user = UserFactory()
    token = links(secret="another install").token(RESET, user)
    with pytest.raises(LinkRefused, match="not valid") as refused:
        follow(session, links(), RESET, token)
    assert refused.value.status == 400


def test_a_token_whose_payload_was_edited_is_refused(session) -> None:
    mine, other = UserFactory(), UserFactory()
    token = links().token(RESET, mine)
    payload, rest = token.split(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["user"] = other.id
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    with pytest.raises(LinkRefused, match="not valid"):
        follow(session, links(), RESET, f"{forged}.{rest}")


def test_expiry_is_measured_from_signing(session) -> None:
    user = UserFactory()
    token = links(now=NOW).token(RESET, user)
    assert follow(session, links(now=NOW + 3600), RESET, token).id == user.id
    with pytest.raises(LinkGone, match="expired") as gone:
        follow(session, links(now=NOW + 3601), RESET, token)
    assert gone.value.status == 410
    verify = links(now=NOW).token(VERIFY, user)
    assert follow(session, links(now=NOW + 48 * 3600), VERIFY, verify).id == user.id
    with pytest.raises(LinkGone, match="expired"):
        follow(session, links(now=NOW + 48 * 3600 + 1), VERIFY, verify)


def test_a_change_of_address_or_a_closed_account_ends_the_link(session) -> None:
    user = UserFactory()
    token = links().token(RESET, user)
    user.email = "moved@example.com"
    session.commit()
    with pytest.raises(LinkGone, match="already used or replaced"):
        follow(session, links(), RESET, token)
    token = links().token(RESET, user)
    user.is_active = False
    session.commit()
    with pytest.raises(LinkGone, match="closed"):
        follow(session, links(), RESET, token)
