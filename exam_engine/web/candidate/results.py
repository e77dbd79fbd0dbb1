"""Results pages of finished attempts: scorecard, review, history."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SearchField, SelectChoice, SelectField
from wtforms.validators import Length, NumberRange, Optional

from exam_engine.domain.vocabulary import ReviewResult
from exam_engine.extensions import current_session
from exam_engine.services import attempts, scorecards, study
from exam_engine.services.errors import ValidationFailed
from exam_engine.web.candidate import bp
from exam_engine.web.candidate.forms import StartForm
from exam_engine.web.clock import grace_seconds, now
from exam_engine.web.security import login_required, wants_json


class ReviewFilterForm(FlaskForm):
    """The review's GET filter form (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    domain = SelectField("Domain", choices=[], validate_choice=False)
    subdomain = SelectField("Sub-domain", choices=[], validate_choice=False)
    wrong = BooleanField("Wrong or unanswered only")
    flagged = BooleanField("Flagged only")
    result = SelectField(
        "Result",
        choices=[SelectChoice("", "Any result")]
        + [SelectChoice(r.value, r.value.capitalize()) for r in ReviewResult],
        default="",
    )
    q = SearchField("Search the questions", validators=[Optional(), Length(max=100)])
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1)], default=1)


# Questions on one page of the answer review: short enough to scan, long enough to compare.
REVIEW_PER_PAGE = 10


def weak_target() -> float:
    """Return the target rate that weak areas and readiness are judged against."""
    return float(current_app.config["WEAK_TARGET"])


def _still_running(attempt_id: int) -> Any:
    """Send an unfinished attempt's results request back to its summary."""
    flash("This exam is still in progress: its results open once you submit it.", "info")
    return redirect(url_for("candidate.summary", attempt_id=attempt_id))


def own_scorecard(attempt_id: int) -> scorecards.Scorecard:
    """The signed-in candidate's scorecard of one attempt (the page and the result API)."""
    return scorecards.build_scorecard(
        current_session(),
        current_user.id,
        attempt_id,
        now=now(),
        grace_seconds=grace_seconds(),
        target=weak_target(),
    )


@bp.get("/attempts/<int:attempt_id>/scorecard")
@login_required
def scorecard(attempt_id: int) -> Any:
    """The scorecard of a finished attempt."""
    try:
        card = own_scorecard(attempt_id)
    except scorecards.AttemptInProgress:
        if wants_json():
            raise
        return _still_running(attempt_id)
    return render_template("candidate/scorecard.html", card=card, form=StartForm())


@bp.get("/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int) -> Any:
    """Every item of a finished attempt with the key and rationales; GET filters."""
    form = ReviewFilterForm(request.args)
    status, filter_error = 200, None
    # The select and the page are checked here (domain codes by the service, which knows them).
    for name in ("result", "q", "page"):
        field = getattr(form, name)
        if not field.validate(form):
            filter_error = f"{name}: {' '.join(field.errors)}"
            field.data = field.default
            status = 400
    filters = scorecards.ReviewFilter(
        domain=form.domain.data or None,
        subdomain=form.subdomain.data or None,
        wrong_only=bool(form.wrong.data),
        flagged_only=bool(form.flagged.data),
        result=ReviewResult(form.result.data) if form.result.data else None,
        search=form.q.data or "",
    )

    def build(chosen: scorecards.ReviewFilter) -> scorecards.Review:
        return scorecards.build_review(
            current_session(),
            current_user.id,
            attempt_id,
            now=now(),
            grace_seconds=grace_seconds(),
            filters=chosen,
        )

    try:
        result = build(filters)
    except scorecards.AttemptInProgress:
        if wants_json():
            raise
        return _still_running(attempt_id)
    except ValidationFailed as error:
        if wants_json():
            raise
        # Show the form with the message at the field it names; list no items until fixed.
        field = form.subdomain if str(error).startswith("subdomain") else form.domain
        field.errors = [str(error)]
        result = build(scorecards.ReviewFilter())
        status, filter_error = 400, str(error)
    form.domain.choices = [("", "All domains")] + [
        (code, f"{code} {title}") for code, title in result.domains
    ]
    form.subdomain.choices = [("", "All sub-domains")] + [
        (code, f"{code} {title}") for code, _domain, title in result.subdomains
    ]
    items = () if filter_error else result.items
    pages = max(1, -(-len(items) // REVIEW_PER_PAGE))
    number = min(form.page.data or 1, pages)
    # Where each shown question is, for the jump list: its page among the filtered items.
    page_of = {item.position: 1 + i // REVIEW_PER_PAGE for i, item in enumerate(items)}
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page" and v}

    def page_url(page: int, position: int | None = None) -> str:
        anchor = f"#q{position}" if position else ""
        return url_for("candidate.review", attempt_id=attempt_id, **args, page=page) + anchor

    start = (number - 1) * REVIEW_PER_PAGE
    page = render_template(
        "candidate/review.html",
        review=result,
        items=items[start : start + REVIEW_PER_PAGE],
        matched=len(items),
        per_page=REVIEW_PER_PAGE,
        page=number,
        pages=pages,
        page_of=page_of,
        page_url=page_url,
        form=form,
        filter_error=filter_error,
    )
    return page, status


@bp.get("/history")
@login_required
def history() -> Any:
    """All of the candidate's mocks, the trends per domain and sub-domain, where they stand."""
    session = current_session()
    # Finalize any attempt whose time ran out, so it shows with its result.
    for attempt in attempts.user_attempts(session, current_user.id):
        attempts.touch(session, attempt, now(), grace_seconds())
    past = scorecards.build_history(session, current_user.id, target=weak_target())
    mastery = study.mastery_history(session, current_user.id, target=weak_target())
    return render_template(
        "candidate/history.html", history=past, mastery=mastery, form=StartForm()
    )
