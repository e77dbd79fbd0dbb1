"""/healthz reports the database; an unreachable database is a 503, not a traceback."""

from __future__ import annotations

from tests.support import make_app

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"


def test_healthz_ok(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_unreachable(tmp_path) -> None:
    app = make_app(UNREACHABLE, str(tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


def test_login_with_unreachable_database_is_a_clear_503(tmp_path) -> None:
    app = make_app(UNREACHABLE, str(tmp_path), WTF_CSRF_ENABLED=False)
    response = app.test_client().post(
        "/login", data={"email": "a@example.com", "password": "password-123456"}
    )
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "database is unavailable" in body
    assert "Traceback" not in body


def test_api_call_with_unreachable_database_is_a_retryable_json_503(tmp_path) -> None:
    app = make_app(UNREACHABLE, str(tmp_path), WTF_CSRF_ENABLED=False)
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = "1.0123456789abcdef"  # signed in: loading the user needs the database
    response = client.get("/api/v1/attempts/1", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json() == {
        "error": "The database is unavailable. Your request was not saved.",
        "status": 503,
    }
