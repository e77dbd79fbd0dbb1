"""Blueprints and exam templates: files on disk turned into values and database rows."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.blueprint import Blueprint, TemplateSpec
from exam_engine.domain.vocabulary import Mode
from exam_engine.models import ExamTemplate
from exam_engine.services.errors import NotFound
from question_bank import BUNDLED_BANK, load_blueprint


@lru_cache(maxsize=8)
def _blueprint_at(path: str) -> Blueprint:
    return load_blueprint(Path(path) / "blueprint.yaml")


def bundled_blueprint() -> Blueprint:
    """Return the bundled blueprint (read once per process; files are immutable data)."""
    return _blueprint_at(str(BUNDLED_BANK))


def blueprint_named(name: str) -> Blueprint:
    """Return the blueprint a template refers to."""
    blueprint = bundled_blueprint()
    if blueprint.name != name:
        raise NotFound(f"blueprint {name!r} is not installed")
    return blueprint


def template_spec(row: ExamTemplate) -> TemplateSpec:
    """Turn a template row into the domain's TemplateSpec."""
    return TemplateSpec(
        name=row.name,
        title=row.title,
        item_count=row.item_count,
        minutes=row.minutes,
        mode=row.mode,
        domain_weights={str(k): int(v) for k, v in (row.domain_weights or {}).items()},
        subdomains=tuple(row.subdomains or ()),
        difficulty_mix={str(k): float(v) for k, v in (row.difficulty_mix or {}).items()},
        description=row.description,
    )


def _row_values(blueprint: Blueprint, spec: TemplateSpec) -> dict[str, object]:
    return {
        "title": spec.title,
        "description": spec.description,
        "blueprint": blueprint.name,
        "item_count": spec.item_count,
        "minutes": spec.minutes,
        "mode": spec.mode,
        "domain_weights": dict(spec.domain_weights),
        "subdomains": list(spec.subdomains),
        "difficulty_mix": dict(spec.difficulty_mix),
    }


def sync_templates(session: Session, blueprint: Blueprint) -> int:
    """Create or update the blueprint's templates (no commit); return how many rows changed."""
    existing = {row.name: row for row in session.scalars(select(ExamTemplate))}
    changed = 0
    for spec in blueprint.templates:
        values = _row_values(blueprint, spec)
        row = existing.get(spec.name)
        if row is None:
            session.add(ExamTemplate(name=spec.name, **values))
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            changed += 1
    return changed


def get_template(session: Session, name: str) -> ExamTemplate:
    """Return an active template by name, or raise NotFound naming the known ones."""
    row = session.scalar(
        select(ExamTemplate).where(ExamTemplate.name == name, ExamTemplate.is_active)
    )
    if row is None:
        known = ", ".join(session.scalars(select(ExamTemplate.name).order_by(ExamTemplate.name)))
        raise NotFound(f"template {name!r} not found (known: {known or 'none'})")
    return row


def list_templates(session: Session) -> list[ExamTemplate]:
    """Return active templates, full mocks first."""
    rows = session.scalars(select(ExamTemplate).where(ExamTemplate.is_active)).all()
    return sorted(rows, key=lambda t: (t.mode != Mode.EXAM, -t.item_count, t.name))
