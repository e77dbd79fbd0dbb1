"""Authoring forms: they turn input into values; the bank's rules live in the service."""

from __future__ import annotations

import re
from functools import lru_cache

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from exam_engine.domain.bank import OPTION_LABELS
from exam_engine.domain.blueprint import DIFFICULTIES
from exam_engine.domain.drafts import DRAFT_LABELS, option_labels
from exam_engine.domain.formats.limits import ImportLimits, text_problem
from exam_engine.domain.vocabulary import VersionStatus
from exam_engine.services.authoring import LINT_FILTERS, SORTS, ItemInput
from exam_engine.web.fields import TextArea

REFERENCES_MAX = 3000
ENEMIES_MAX = 1000
STATUS_LABELS = {
    VersionStatus.DRAFT: "Draft",
    VersionStatus.IN_REVIEW: "In review",
    VersionStatus.PUBLISHED: "Published",
    VersionStatus.RETIRED: "Retired",
}
LINT_LABELS = {"errors": "Has errors", "warnings": "Has warnings", "clean": "Clean"}
SORT_LABELS = {
    "key": "Key",
    "subdomain": "Sub-domain",
    "difficulty": "Difficulty",
    "status": "Status",
    "updated": "Last change",
    "lint": "Lint findings",
}
_ENEMY_SPLIT = re.compile(r"[\s,;]+")
ANY = SelectChoice("", "Any")


class FieldLimit:
    """Refuse text longer than the app's limit for this item field (``ITEM_FIELD_LIMITS``).

    The same limits bound every import, so an imported item can always be saved again here.
    """

    def __init__(self, name: str, what: str) -> None:
        self.name = name
        self.what = what

    def __call__(self, form: FlaskForm, field: Field) -> None:
        limits = ImportLimits.from_config(current_app.config).fields
        problem = text_problem(self.what, field.data or "", getattr(limits, self.name))
        if problem is not None:
            raise ValidationError(problem[0].upper() + problem[1:])


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


# Editor fields that hold one value each (options and rationales are per letter).
_SINGLE_FIELDS = frozenset("key subdomain difficulty stem answer references enemies as_of".split())


class QuestionForm(FlaskForm):
    """One question version: stem, four options with a rationale each, key, metadata.

    :meth:`for_options` gives the form for a draft with more options (lettered on from E).
    """

    labels: tuple[str, ...] = OPTION_LABELS

    key = StringField(
        "Key",
        validators=[Length(max=40)],
        filters=[_strip],
        description="The sub-domain code and a three-digit number, e.g. D2-B-034.",
    )
    subdomain = SelectField("Sub-domain", choices=[], validate_choice=False)
    difficulty = SelectField(
        "Difficulty",
        choices=[SelectChoice("", "Choose a difficulty")]
        + [SelectChoice(d, d.capitalize()) for d in DIFFICULTIES],
        validate_choice=False,
    )
    stem = TextArea(
        "Stem",
        validators=[FieldLimit("stem", "the stem")],
        description=(
            "Markdown. A scenario, then the question with a capitalised qualifier "
            "(BEST, MOST, FIRST ...)."
        ),
        render_kw={"rows": 6},
    )
    option_a = TextArea(
        "Option A", validators=[FieldLimit("option", "option A")], render_kw={"rows": 2}
    )
    option_b = TextArea(
        "Option B", validators=[FieldLimit("option", "option B")], render_kw={"rows": 2}
    )
    option_c = TextArea(
        "Option C", validators=[FieldLimit("option", "option C")], render_kw={"rows": 2}
    )
    option_d = TextArea(
        "Option D", validators=[FieldLimit("option", "option D")], render_kw={"rows": 2}
    )
    rationale_a = TextArea(
        "Rationale A",
        validators=[FieldLimit("rationale", "rationale A")],
        render_kw={"rows": 3},
    )
    rationale_b = TextArea(
        "Rationale B",
        validators=[FieldLimit("rationale", "rationale B")],
        render_kw={"rows": 3},
    )
    rationale_c = TextArea(
        "Rationale C",
        validators=[FieldLimit("rationale", "rationale C")],
        render_kw={"rows": 3},
    )
    rationale_d = TextArea(
        "Rationale D",
        validators=[FieldLimit("rationale", "rationale D")],
        render_kw={"rows": 3},
    )
    answer = RadioField(
        "Key (the correct option)",
        choices=[SelectChoice(label, f"{label} is the correct answer") for label in OPTION_LABELS],
        validate_choice=False,
    )
    references = TextArea(
        "References",
        validators=[Length(max=REFERENCES_MAX)],
        description="One citation a line, e.g. ISO/IEC 42001:2023, clause 6.1.",
        render_kw={"rows": 3},
    )
    enemies = StringField(
        "Enemies",
        validators=[Length(max=ENEMIES_MAX)],
        description=(
            "Keys of questions that must never appear in the same exam as this one, "
            "separated by commas or spaces."
        ),
    )
    as_of = StringField(
        "Facts checked on",
        validators=[Length(max=10)],
        description=(
            "The date (YYYY-MM-DD) this item's time-sensitive facts were last checked: a law's "
            "dates or articles, a standard's edition. Required when the item depends on one."
        ),
        render_kw={"type": "date"},
    )
    base = HiddenField()

    @classmethod
    def for_options(cls, count: int) -> type[QuestionForm]:
        """The form with an option and a rationale field for each of ``count`` options."""
        return _with_options(len(option_labels(count)))

    def option_field(self, label: str) -> TextArea:
        """The option text field for a letter."""
        field: TextArea = getattr(self, f"option_{label.lower()}")
        return field

    def rationale_field(self, label: str) -> TextArea:
        """The rationale field for a letter."""
        field: TextArea = getattr(self, f"rationale_{label.lower()}")
        return field

    def to_input(self, *, key: str | None = None, subdomain: str | None = None) -> ItemInput:
        """The submitted values (``key``/``subdomain`` override them when editing).

        Options past D left empty, text and rationale, are dropped from the end: that is how
        an instructor brings a draft with more options down to four.
        """
        options = tuple(self.option_field(label).data or "" for label in self.labels)
        rationales = tuple(self.rationale_field(label).data or "" for label in self.labels)
        while len(options) > len(OPTION_LABELS) and not (options[-1] + rationales[-1]).strip():
            options, rationales = options[:-1], rationales[:-1]
        return ItemInput(
            key=key if key is not None else (self.key.data or ""),
            subdomain=subdomain if subdomain is not None else (self.subdomain.data or ""),
            difficulty=self.difficulty.data or "",
            stem=self.stem.data or "",
            options=options,
            rationales=rationales,
            answer=self.answer.data or "",
            references=tuple(
                line.strip() for line in (self.references.data or "").splitlines() if line.strip()
            ),
            enemies=tuple(e for e in _ENEMY_SPLIT.split(self.enemies.data or "") if e),
            as_of=(self.as_of.data or "").strip(),
        )

    def fill(self, data: ItemInput) -> None:
        """Show stored values."""
        self.key.data = data.key
        self.subdomain.data = data.subdomain
        self.difficulty.data = data.difficulty
        self.stem.data = data.stem
        for i, label in enumerate(self.labels):
            self.option_field(label).data = data.options[i] if i < len(data.options) else ""
            self.rationale_field(label).data = (
                data.rationales[i] if i < len(data.rationales) else ""
            )
        self.answer.data = data.answer
        self.references.data = "\n".join(data.references)
        self.enemies.data = ", ".join(data.enemies)
        self.as_of.data = data.as_of

    def field_for(self, name: str) -> object | None:
        """The form field a service field name (``options.B``, ``rationale``) points at."""
        head, _, label = name.partition(".")
        if head == "options":
            return self.option_field(label) if label in self.labels else None
        if head == "rationale":
            return self.rationale_field(label) if label in self.labels else None
        if head in _SINGLE_FIELDS:
            found: object = getattr(self, head)
            return found
        return None

    def add_errors(self, problems: dict[str, list[str]]) -> list[str]:
        """Attach service problems to their fields; return those that belong to no field."""
        general: list[str] = []
        for name, messages in problems.items():
            target = self.field_for(name)
            if target is None:
                general.extend(messages)
                continue
            errors = list(getattr(target, "errors", ()) or ())
            errors.extend(m for m in messages if m not in errors)
            target.errors = errors  # type: ignore[attr-defined]
        return general


def _option_pair(label: str) -> dict[str, TextArea]:
    return {
        f"option_{label.lower()}": TextArea(
            f"Option {label}",
            validators=[FieldLimit("option", f"option {label}")],
            render_kw={"rows": 2},
        ),
        f"rationale_{label.lower()}": TextArea(
            f"Rationale {label}",
            validators=[FieldLimit("rationale", f"rationale {label}")],
            render_kw={"rows": 3},
        ),
    }


@lru_cache(maxsize=32)
def _with_options(count: int) -> type[QuestionForm]:
    """QuestionForm with field pairs for options E onwards, up to ``count`` options."""
    if count <= len(OPTION_LABELS):
        return QuestionForm
    labels = DRAFT_LABELS[:count]
    extra: dict[str, object] = {"labels": labels}
    for label in labels[len(OPTION_LABELS) :]:
        extra.update(_option_pair(label))
    extra["answer"] = RadioField(
        "Key (the correct option)",
        choices=[SelectChoice(label, f"{label} is the correct answer") for label in labels],
        validate_choice=False,
    )
    return type(f"QuestionFormWith{count}Options", (QuestionForm,), extra)


class ActionForm(FlaskForm):
    """A bare form for workflow buttons (its CSRF token is the point)."""


class ReturnForm(FlaskForm):
    """A reviewer sends a version back to its author."""

    note = TextArea(
        "Note to the author",
        validators=[
            DataRequired(message="Say what the author should change."),
            Length(max=2000),
        ],
        render_kw={"rows": 3},
    )


class BrowseForm(FlaskForm):
    """Bank-browser filters, read from the query string."""

    class Meta:
        csrf = False

    q = SearchField("Search", validators=[Optional(), Length(max=200)])
    domain = SelectField("Domain", choices=[], validators=[Optional()])
    subdomain = SelectField("Sub-domain", choices=[], validators=[Optional()])
    difficulty = SelectField(
        "Difficulty",
        choices=[ANY] + [SelectChoice(d, d.capitalize()) for d in DIFFICULTIES],
        validators=[Optional()],
    )
    status = SelectField(
        "Status",
        choices=[ANY] + [SelectChoice(k, v) for k, v in STATUS_LABELS.items()],
        validators=[Optional()],
    )
    lint = SelectField(
        "Lint",
        choices=[ANY] + [SelectChoice(k, LINT_LABELS[k]) for k in LINT_FILTERS],
        validators=[Optional()],
    )
    complete = SelectField(
        "Completeness",
        choices=[ANY, SelectChoice("incomplete", "Incomplete drafts")],
        validators=[Optional()],
    )
    sort = SelectField(
        "Sort by", choices=[SelectChoice(s, SORT_LABELS[s]) for s in SORTS], default="key"
    )
    dir = SelectField(
        "Order",
        choices=[SelectChoice("asc", "Ascending"), SelectChoice("desc", "Descending")],
        default="asc",
    )
    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(min=1)])


class ImportForm(FlaskForm):
    """Upload a file in one of the interchange formats."""

    file = FileField(
        "File",
        validators=[FileRequired(message="Choose a file to import.")],
    )
    fmt = SelectField("Format", choices=[])
    subdomain = SelectField(
        "Sub-domain for untagged items",
        choices=[],
        validators=[Optional()],
        description=(
            "For files from other tools (Moodle GIFT, spreadsheets): the sub-domain of items "
            "whose file names none (a category such as D2-A Risk tags an item itself)."
        ),
    )
    publish = BooleanField(
        "Publish the imported items at once",
        description="Admins only. Otherwise imported items arrive as drafts for review.",
    )


class BulkDraftForm(FlaskForm):
    """Set a sub-domain and/or a difficulty on several drafts at once."""

    keys = SelectMultipleField("Drafts", choices=[], validate_choice=False)
    subdomain = SelectField("Sub-domain", choices=[], validators=[Optional()])
    difficulty = SelectField(
        "Difficulty",
        choices=[SelectChoice("", "Leave as it is")]
        + [SelectChoice(d, d.capitalize()) for d in DIFFICULTIES],
        validators=[Optional()],
    )
