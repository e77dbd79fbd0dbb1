"""A draft imported with more than four options shows them all in the editor, to trim to four."""

from __future__ import annotations

import io

from sqlalchemy import select

from exam_engine.models import Question, QuestionVersion
from tests.factories import UserFactory
from tests.web.test_authoring_editor import form_data

SIX = b"""$CATEGORY: aaism/D1/D1-A

::Six choices::Which step comes FIRST when an AI system is adopted? {
=Inventory the models in use#The inventory tells what governance must cover.
~Train every employee#Useful, but it needs to know what is in use.
~Buy a monitoring tool#A tool without scope monitors the wrong things.
~Write a policy#A policy needs the inventory to be applicable.
~Audit the vendors#Vendors are one part of the inventory.
~Wait for a regulator#Waiting leaves the risk unmanaged.
}
"""
OPTIONS = [
    "Inventory the models in use",
    "Train every employee",
    "Buy a monitoring tool",
    "Write a policy",
    "Audit the vendors",
    "Wait for a regulator",
]


def imported(client) -> str:
    data = {"fmt": "gift", "file": (io.BytesIO(SIX), "six.gift")}
    response = client.post("/authoring/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "<li>exactly four options (has 6)</li>" in response.get_data(as_text=True)
    return "D1-A-001"


def version(session, key: str) -> QuestionVersion:
    session.expire_all()
    return session.scalars(select(QuestionVersion).join(Question).where(Question.key == key)).one()


def test_the_editor_shows_every_option_of_a_draft_with_six(client, session) -> None:
    client.login(UserFactory(role="instructor").email)
    key = imported(client)
    html = client.get(f"/authoring/questions/{key}/edit").get_data(as_text=True)
    for label, text in zip("abcdef", OPTIONS, strict=True):
        assert f'name="option_{label}"' in html
        assert text in html
    assert 'name="rationale_f"' in html
    assert "Waiting leaves the risk unmanaged." in html
    assert 'name="option_g"' not in html
    assert "This draft has 6 options (A-F); the bank needs exactly four." in html
    # The key radio offers every letter; A is the imported correct answer.
    assert '<input id="answer-5" name="answer" type="radio" value="F">' in html
    assert '<input checked id="answer-0" name="answer" type="radio" value="A">' in html


def edited(session, key: str, kept: int) -> dict[str, str]:
    """The editor's fields for the draft with only its first ``kept`` options filled in."""
    stored = version(session, key)
    data = form_data(
        key=key,
        subdomain="D1-A",
        difficulty="medium",
        stem=stored.stem,
        answer="A",
        references="ISO/IEC 42001:2023, clause 6.1",
        enemies="",
        as_of="",
    )
    for i, label in enumerate("abcdef"):
        data[f"option_{label}"] = OPTIONS[i] if i < kept else ""
        data[f"rationale_{label}"] = str(stored.rationales[i]) if i < kept else ""
    return data


def test_emptying_the_options_after_d_trims_the_draft_to_four(client, session) -> None:
    client.login(UserFactory(role="instructor").email)
    key = imported(client)
    response = client.post(f"/authoring/questions/{key}/edit", data=edited(session, key, 4))
    assert response.status_code == 303, response.get_data(as_text=True)
    saved = version(session, key)
    assert [str(o) for o in saved.options] == OPTIONS[:4]
    assert saved.answer_index == 0
    html = client.get(f"/authoring/questions/{key}/edit").get_data(as_text=True)
    assert 'name="option_e"' not in html
    assert "This draft has" not in html


def test_saving_with_an_option_past_d_still_filled_names_it(client, session) -> None:
    client.login(UserFactory(role="instructor").email)
    key = imported(client)
    response = client.post(f"/authoring/questions/{key}/edit", data=edited(session, key, 5))
    assert response.status_code == 400
    assert [str(o) for o in version(session, key).options] == OPTIONS
    html = response.get_data(as_text=True)
    assert "Audit the vendors" in html
    assert (
        '<p class="error" id="option_e-error">unexpected option label &#39;E&#39;: items have '
        "exactly four options, labelled A, B, C and D</p>"
    ) in html


def test_live_lint_of_a_draft_with_six_options_names_the_fifth(client, session) -> None:
    client.login(UserFactory(role="instructor").email)
    key = imported(client)
    payload = {**edited(session, key, 6), "editing": key}
    body = client.post("/authoring/lint", json=payload).get_json()
    assert body["ok"] is False
    assert ("options.E", "Option E") in {(p["field"], p["label"]) for p in body["problems"]}
