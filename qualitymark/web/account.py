"""The signed-in person's own account."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, login_user

from qualitymark.services import accounts
from qualitymark.web.forms import ChangePasswordForm

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/")
@login_required
def overview():
    return render_template("account/overview.html")


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.password.data)
        except accounts.AccountError as error:
            target = form.current if "current" in str(error) else form.password
            target.errors.append(str(error))
        else:
            # The epoch changed: sign this session in again so only the *other* sessions end.
            login_user(current_user._get_current_object(), remember=False)
            flash("Your password is changed. Every other device you were signed in on is now signed out.", "success")
            return redirect(url_for("account.overview"))
    return render_template("account/password.html", form=form)
