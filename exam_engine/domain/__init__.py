"""Pure domain layer: standard library (and scipy for statistics) only; no Flask, no SQLAlchemy."""
