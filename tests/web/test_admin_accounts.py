"""The admin accounts page: listing, search, pages, role changes, deactivation, multipliers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from exam_engine.models import AuditEvent, User
from exam_engine.services import admin_accounts
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed
from tests.factories import UserFactory
from tests.support import Client


@pytest.fixture
def admin(session):
    return UserFactory(email="admin@example.com", name="Ada Admin", role="admin")


def events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def reload(session, user: User) -> User:
    session.expire_all()
    return session.get(User, user.id)


def test_the_list_searches_email_and_name_and_pages(client, session, admin) -> None:
    for n in range(30):
        UserFactory(email=f"student{n:02d}@example.com", name=f"Student {n:02d}")
    UserFactory(email="zoe@school.example", name="Zoë Percent%")
    client.login(admin.email)
    first = client.get("/admin").get_data(as_text=True)
    assert "32 accounts" in first
    assert "page 1 of 2" in first
    assert '<th scope="row">admin@example.com' in first
    second = client.get("/admin?page=2").get_data(as_text=True)
    assert "zoe@school.example" in second
    assert '<th scope="row">admin@example.com' not in second
    by_name = client.get("/admin?q=zoë").get_data(as_text=True)
    assert "1 account matching" in by_name
    assert "zoe@school.example" in by_name
    # A LIKE wildcard typed in the search is taken literally.
    assert "1 account matching" in client.get("/admin?q=%25").get_data(as_text=True)
    assert "0 accounts" in client.get("/admin?q=_____________________").get_data(as_text=True)
    assert "No account matches." in client.get("/admin?q=nobody").get_data(as_text=True)
    by_email = client.get("/admin?q=STUDENT1").get_data(as_text=True)
    assert "10 accounts matching" in by_email


@pytest.mark.parametrize(
    ("query", "message"),
    [("page=0", "From 1 up."), ("page=x", "page"), ("q=" + "a" * 300, "q:")],
)
def test_bad_list_parameters_are_400_and_named(client, admin, query, message) -> None:
    client.login(admin.email)
    response = client.get(f"/admin?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_role_change_is_audited_and_checked(client, session, admin) -> None:
    user = UserFactory(email="cand@example.com")
    client.login(admin.email)
    response = client.post(f"/admin/users/{user.id}/role", data={"role": "instructor", "q": "cand"})
    assert response.status_code == 303
    assert response.location.endswith("/admin?q=cand")
    assert reload(session, user).role == "instructor"
    (event,) = events(session, "account.role")
    assert (event.actor_id, event.object_id, event.details) == (
        admin.id,
        str(user.id),
        {"from": "candidate", "to": "instructor"},
    )
    assert "cand@example.com" not in event.summary
    bad = client.post(f"/admin/users/{user.id}/role", data={"role": "superuser"})
    assert bad.status_code == 400
    assert "role:" in bad.get_data(as_text=True)
    assert client.post("/admin/users/999999/role", data={"role": "admin"}).status_code == 404
    assert reload(session, user).role == "instructor"


def test_deactivation_ends_a_live_session_at_once(app, client, session, admin) -> None:
    victim = UserFactory(email="cand@example.com")
    other = app.test_client()
    assert other.login("cand@example.com").status_code == 302
    assert other.get("/dashboard").status_code == 200
    client.login(admin.email)
    assert client.post(f"/admin/users/{victim.id}/deactivate").status_code == 303
    # The same cookie, the very next request: signed out.
    after = other.get("/dashboard")
    assert after.status_code == 302
    assert "/login" in after.location
    assert (
        other.get("/api/v1/attempts/1", headers={"Accept": "application/json"}).status_code == 401
    )
    assert other.login("cand@example.com").status_code == 401
    assert len(events(session, "account.deactivate")) == 1
    assert client.post(f"/admin/users/{victim.id}/reactivate").status_code == 303
    assert other.login("cand@example.com").status_code == 302
    assert len(events(session, "account.reactivate")) == 1
    # Repeating a state change records nothing new.
    client.post(f"/admin/users/{victim.id}/reactivate")
    assert len(events(session, "account.reactivate")) == 1


def test_reactivating_does_not_revive_a_session_from_before(app, client, session, admin) -> None:
    victim = UserFactory(email="cand@example.com")
    before = app.test_client()
    assert before.login("cand@example.com").status_code == 302
    client.login(admin.email)
    assert client.post(f"/admin/users/{victim.id}/deactivate").status_code == 303
    assert client.post(f"/admin/users/{victim.id}/reactivate").status_code == 303
    # The account works again, but only through a new sign-in.
    again = before.get("/dashboard")
    assert again.status_code == 302
    assert "/login" in again.location


def test_the_last_admin_cannot_demote_or_deactivate_themself(client, session, admin) -> None:
    client.login(admin.email)
    demote = client.post(f"/admin/users/{admin.id}/role", data={"role": "candidate"})
    assert demote.status_code == 409
    assert "only active admin" in demote.get_data(as_text=True)
    assert client.post(f"/admin/users/{admin.id}/deactivate").status_code == 409
    assert reload(session, admin).role == "admin"
    assert reload(session, admin).is_active
    # A deactivated second admin does not count as one left.
    spare = UserFactory(email="spare@example.com", role="admin", is_active=False)
    assert client.post(f"/admin/users/{admin.id}/deactivate").status_code == 409
    client.post(f"/admin/users/{spare.id}/reactivate")
    assert (
        client.post(f"/admin/users/{admin.id}/role", data={"role": "instructor"}).status_code == 303
    )
    assert reload(session, admin).role == "instructor"
    # The demoted admin's next request is no longer an admin's.
    assert client.get("/admin").status_code == 403
    assert events(session, "account.role")[0].actor_id == admin.id


def test_the_account_multiplier_is_bounded_and_audited(client, session, admin) -> None:
    user = UserFactory()
    client.login(admin.email)
    url = f"/admin/users/{user.id}/time-multiplier"
    too_big = client.post(url, data={"multiplier": "4.5"})
    assert too_big.status_code == 400
    assert "Between 1.0 and 4.0." in too_big.get_data(as_text=True)
    assert client.post(url, data={"multiplier": "1.5", "page": "2"}).status_code == 303
    assert reload(session, user).time_multiplier == 1.5
    (event,) = events(session, "account.time_multiplier")
    assert event.details == {"from": 1.0, "to": 1.5}


@pytest.mark.parametrize("role", ["candidate", "instructor"])
def test_non_admins_get_403_everywhere(client, session, admin, role) -> None:
    UserFactory(email="someone@example.com", role=role)
    target = UserFactory()
    client.login("someone@example.com")
    assert client.get("/admin").status_code == 403
    for action, data in (
        ("role", {"role": "admin"}),
        ("deactivate", {}),
        ("reactivate", {}),
        ("time-multiplier", {"multiplier": "4"}),
    ):
        assert client.post(f"/admin/users/{target.id}/{action}", data=data).status_code == 403
    assert reload(session, target).role == "candidate"
    assert reload(session, target).time_multiplier == 1.0


def test_every_admin_post_needs_the_csrf_token(app, session, admin) -> None:
    target = UserFactory()
    client = app.test_client()
    assert isinstance(client, Client)
    client.login(admin.email)
    for action, data in (
        ("role", {"role": "admin"}),
        ("deactivate", {}),
        ("time-multiplier", {"multiplier": "4"}),
    ):
        response = client.post(f"/admin/users/{target.id}/{action}", data=data, csrf=False)
        assert response.status_code == 400, action
    assert reload(session, target).is_active
    assert reload(session, target).role == "candidate"


def test_the_services_refuse_a_non_admin_caller(session, admin) -> None:
    instructor = UserFactory(role="instructor")
    with pytest.raises(NotFound):
        admin_accounts.change_role(session, instructor.id, admin.id, "candidate")
    with pytest.raises(NotFound):
        admin_accounts.list_accounts(session, instructor.id)
    with pytest.raises(ValidationFailed, match="between 1.0 and 4.0"):
        admin_accounts.set_account_multiplier(session, admin.id, instructor.id, 0.5)
    with pytest.raises(Conflict):
        admin_accounts.set_active(session, admin.id, admin.id, active=False)
