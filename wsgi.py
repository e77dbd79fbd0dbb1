"""WSGI entry point: ``gunicorn wsgi:app`` and plain ``flask`` commands from the repo root."""

from exam_engine import create_app

app = create_app()
