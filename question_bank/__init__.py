"""The bundled AAISM question bank (package data) and the loader for bank files."""

from __future__ import annotations

from pathlib import Path

from question_bank.loader import (
    BUNDLED_BANK,
    LoadedBank,
    load_bank,
    load_blueprint,
    read_items_file,
)

BUNDLED_BLUEPRINT: Path = BUNDLED_BANK / "blueprint.yaml"

__all__ = [
    "BUNDLED_BANK",
    "BUNDLED_BLUEPRINT",
    "LoadedBank",
    "load_bank",
    "load_blueprint",
    "read_items_file",
]
