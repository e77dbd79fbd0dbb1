"""The bundled blueprint and one sub-domain's items, read without loading the whole bank.

Loading and checking all 1,024 items takes seconds; tests that need only the blueprint or a
sample item use these, so that a mutation run (a fresh process per mutant) stays fast.
"""

from __future__ import annotations

from functools import lru_cache

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.blueprint import Blueprint
from question_bank import BUNDLED_BLUEPRINT
from question_bank.loader import (
    BUNDLED_BANK,
    display_path,
    load_blueprint,
    read_items_file,
    validate_items,
)


@lru_cache(maxsize=1)
def bundled_blueprint() -> Blueprint:
    """The bundled AAISM blueprint."""
    return load_blueprint(BUNDLED_BLUEPRINT)


@lru_cache(maxsize=4)
def bundled_subdomain(code: str) -> tuple[ItemRecord, ...]:
    """The bundled items of one sub-domain (enemies in other files are not checked here)."""
    path = BUNDLED_BANK / "items" / f"{code}.yaml"
    name = display_path(path)
    raws, problems = read_items_file(path, name)
    assert problems == [], problems
    records, _unknown_enemies = validate_items(raws, bundled_blueprint())
    assert records, f"no items read from {name}"
    return tuple(records)


def bundled_item(key: str) -> ItemRecord:
    """One bundled item by key, read from its sub-domain's file."""
    return next(i for i in bundled_subdomain(key.rsplit("-", 1)[0]) if i.key == key)
