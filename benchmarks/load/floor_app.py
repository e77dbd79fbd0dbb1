"""The load benchmark's gunicorn entry point: the shipped app plus the floor route."""

from benchmarks.load.floor import register
from wsgi import app

register(app)
