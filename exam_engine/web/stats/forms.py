"""Item-analysis forms: the filter bar (query string) and the recompute button."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SearchField, SelectChoice, SelectField
from wtforms.validators import Length, NumberRange, Optional

from exam_engine.domain.item_analysis import FLAG_LABELS

SORT_LABELS = {
    "flags": "Review flags",
    "key": "Item key",
    "subdomain": "Sub-domain",
    "responses": "Responses",
    "facility": "Facility",
    "discrimination": "Discrimination",
}
FLAG_FILTER_LABELS = {
    "": "Every item",
    "any": "Any review flag",
    "none": "No flag",
    **FLAG_LABELS,
}


class FilterForm(FlaskForm):
    """Scope, filters, sort and page, read from the query string."""

    class Meta:
        csrf = False

    # Checked by the service, so that an unknown template is a 404 naming it.
    template = SelectField("Scope", choices=[], default="", validate_choice=False)
    flag = SelectField(
        "Flag",
        choices=[SelectChoice(k, v) for k, v in FLAG_FILTER_LABELS.items()],
        default="",
        validators=[Optional()],
    )
    subdomain = SelectField("Sub-domain", choices=[], default="", validators=[Optional()])
    q = SearchField("Key contains", validators=[Optional(), Length(max=40)])
    sort = SelectField(
        "Sort by", choices=[SelectChoice(k, v) for k, v in SORT_LABELS.items()], default="flags"
    )
    order = SelectField(
        "Order",
        choices=[
            SelectChoice("", "Default"),
            SelectChoice("asc", "Ascending"),
            SelectChoice("desc", "Descending"),
        ],
        default="",
        validators=[Optional()],
    )
    page = IntegerField(
        "Page", default=1, validators=[Optional(), NumberRange(min=1, max=1_000_000)]
    )


class RecomputeForm(FlaskForm):
    """The "Recompute now" button; ``template`` is the scope to come back to."""

    template = HiddenField(validators=[Optional(), Length(max=80)])


class CalibrateForm(FlaskForm):
    """The "Recalibrate" button: which IRT model to fit."""

    model = SelectField(
        choices=[SelectChoice("rasch", "Rasch"), SelectChoice("2pl", "2PL")], default="rasch"
    )
