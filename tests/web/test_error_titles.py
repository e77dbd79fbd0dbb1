"""Every status a service error carries has a page title of its own, 422 included."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask import Flask

import exam_engine.services
from exam_engine.services.errors import ServiceError
from exam_engine.web.errors import TITLES, error_response


def _service_error_statuses() -> set[int]:
    # Load every service module, so that each ServiceError subclass is defined.
    for module in pkgutil.walk_packages(exam_engine.services.__path__, "exam_engine.services."):
        importlib.import_module(module.name)
    found, todo = set(), [ServiceError]
    while todo:
        cls = todo.pop()
        found.add(cls.status)
        todo.extend(cls.__subclasses__())
    return found


def test_every_status_a_service_error_carries_has_a_title() -> None:
    statuses = _service_error_statuses()
    assert {400, 404, 409, 410, 422} <= statuses
    assert statuses - set(TITLES) == set()


@pytest.mark.parametrize(
    ("status", "title"), [(422, "Cannot be processed"), (410, "Link no longer valid")]
)
def test_the_error_page_is_titled_by_its_status(app: Flask, status: int, title: str) -> None:
    with app.test_request_context("/", headers={"Accept": "text/html"}):
        page, code = error_response(status, "Item 'x' is incomplete: it needs difficulty.")
    assert code == status
    assert f"<title>{title} · AAISM Exam Engine</title>" in page
    assert f"<h1>{status} · {title}</h1>" in page
