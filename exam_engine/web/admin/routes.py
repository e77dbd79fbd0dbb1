"""Admin views: the account list, and the changes an admin makes to an account.

Every view is for admins only (others get 403); every change is a POST with the CSRF token
and comes back to the list the admin was looking at.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from exam_engine.domain.vocabulary import Role
from exam_engine.extensions import current_session
from exam_engine.services import admin_accounts
from exam_engine.services.errors import ValidationFailed
from exam_engine.web.admin import bp
from exam_engine.web.admin.forms import AccountMultiplierForm, ReturnForm, RoleForm, SearchForm
from exam_engine.web.security import role_required

admin_only = role_required(Role.ADMIN)


@bp.get("")
@admin_only
def index() -> Any:
    """Accounts, searchable by email or name, a page at a time."""
    form = SearchForm(formdata=request.args)
    _checked(form)
    query = form.q.data or ""
    listing = admin_accounts.list_accounts(
        current_session(), current_user.id, query=query, page=form.page.data or 1
    )
    return render_template(
        "admin/index.html",
        form=form,
        listing=listing,
        query=query,
        roles=RoleForm(formdata=None),
        action=ReturnForm(formdata=None),
        multiplier=AccountMultiplierForm(formdata=None),
    )


def _back(form: ReturnForm) -> Any:
    """Return to the list page the change was made from."""
    page = form.page.data if (form.page.data or "").isdigit() else None
    return redirect(url_for("admin.index", q=form.q.data or None, page=page), 303)


def _checked(form: FlaskForm) -> None:
    """Raise a 400 naming the bad field when the posted form does not validate."""
    if not form.validate():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        raise ValidationFailed(problems)


@bp.post("/users/<int:user_id>/role")
@admin_only
def change_role(user_id: int) -> Any:
    """Give an account another role."""
    form = RoleForm()
    _checked(form)
    user = admin_accounts.change_role(
        current_session(), current_user.id, user_id, form.role.data or ""
    )
    flash(f"{user.email} is now {user.role}.", "success")
    return _back(form)


@bp.post("/users/<int:user_id>/deactivate")
@admin_only
def deactivate(user_id: int) -> Any:
    """Deactivate an account: it cannot sign in, and its open sessions stop working."""
    form = ReturnForm()
    _checked(form)
    user = admin_accounts.set_active(current_session(), current_user.id, user_id, active=False)
    flash(f"{user.email} is deactivated; their sessions have ended.", "info")
    return _back(form)


@bp.post("/users/<int:user_id>/reactivate")
@admin_only
def reactivate(user_id: int) -> Any:
    """Let a deactivated account sign in again."""
    form = ReturnForm()
    _checked(form)
    user = admin_accounts.set_active(current_session(), current_user.id, user_id, active=True)
    flash(f"{user.email} can sign in again.", "success")
    return _back(form)


@bp.post("/users/<int:user_id>/time-multiplier")
@admin_only
def set_multiplier(user_id: int) -> Any:
    """Set the account's own time multiplier (it times mocks that no cohort assigned)."""
    form = AccountMultiplierForm()
    _checked(form)
    user = admin_accounts.set_account_multiplier(
        current_session(), current_user.id, user_id, float(form.multiplier.data or 0)
    )
    flash(f"{user.email} now gets x{user.time_multiplier:g} time on unassigned mocks.", "success")
    return _back(form)
