"""The signed-in person's own account."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
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


@bp.route("/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    from markupsafe import Markup

    from qualitymark.certificates.render import qr_svg
    from qualitymark.services import two_factor as service
    from qualitymark.web.forms import CodeForm

    user = current_user._get_current_object()
    form = CodeForm()
    if user.two_factor_enabled:
        if form.validate_on_submit():
            if request.form.get("action") == "new-codes":
                if service.verify(user, form.code.data):
                    return render_template("account/recovery_codes.html", codes=service.new_recovery_codes(user))
                form.code.errors.append("That code is not right.")
            else:
                try:
                    service.disable(user, form.code.data)
                except service.TwoFactorError as error:
                    form.code.errors.append(str(error))
                else:
                    flash("Two-factor sign-in is off.", "success")
                    return redirect(url_for("account.overview"))
        return render_template("account/two_factor.html", form=form, enabled=True,
                               remaining=service.remaining_recovery_codes(user))
    uri = service.begin_setup(user)
    if form.validate_on_submit():
        try:
            codes = service.confirm_setup(user, form.code.data)
        except service.TwoFactorError as error:
            form.code.errors.append(str(error))
        else:
            return render_template("account/recovery_codes.html", codes=codes)
    secret = user.totp_secret
    return render_template("account/two_factor.html", form=form, enabled=False, secret=secret,
                           grouped=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
                           qr=Markup(qr_svg(uri, title="QR code to add this account to an authenticator app")))
