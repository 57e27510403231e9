"""The signed-in person's own account."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user

from qualitymark.services import accounts
from qualitymark.web.forms import ChangePasswordForm

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/")
@login_required
def overview():
    return render_template("account/overview.html")


@bp.route("/language", methods=["POST"])
@login_required
def language():
    from flask_babel import force_locale

    from qualitymark.i18n import LANGUAGES, remember_language

    chosen = request.form.get("language")
    if chosen not in LANGUAGES:
        flash(_("Choose English or Cymraeg."), "error")
        return redirect(url_for("account.overview"))
    accounts.set_language(current_user._get_current_object(), chosen)
    with force_locale(chosen):  # the page after this is already in the new language
        flash(_("Your language is saved."), "success")
    response = redirect(url_for("account.overview"))
    remember_language(response, chosen)
    return response


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.password.data)
        except accounts.AccountError as error:
            target = form.current if error.field == "current" else form.password
            target.errors.append(str(error))
        else:
            # The epoch changed: sign this session in again so only the *other* sessions end.
            login_user(current_user._get_current_object(), remember=False)
            flash(_("Your password is changed. Every other device you were signed in on is now signed out."), "success")
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
                form.code.errors.append(_("That code is not right."))
            else:
                try:
                    service.disable(user, form.code.data)
                except service.TwoFactorError as error:
                    form.code.errors.append(str(error))
                else:
                    flash(_("Two-factor sign-in is off."), "success")
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
                           qr=Markup(qr_svg(uri, title=_("QR code to add this account to an authenticator app"))))


@bp.route("/data")
@login_required
def data():
    """Everything the service holds about you, as a JSON file."""
    import json

    from flask import Response

    from qualitymark.services.privacy import export_personal_data

    body = json.dumps(export_personal_data(current_user._get_current_object()), ensure_ascii=False, indent=2)
    return Response(body, content_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="my-care-quality-mark-data.json"',
                             "Cache-Control": "private, no-store"})


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete():
    from flask_login import logout_user
    from flask_wtf import FlaskForm
    from wtforms import BooleanField, PasswordField, SubmitField
    from wtforms.validators import DataRequired, InputRequired

    from qualitymark.services import privacy

    class DeleteForm(FlaskForm):
        password = PasswordField(_l("Your password"), validators=[InputRequired(message=_l("Enter your password."))],
                                 render_kw={"autocomplete": "current-password"})
        confirm = BooleanField(_l("I understand that my account will be deleted and cannot be restored"),
                               validators=[DataRequired(message=_l("Tick the box to confirm."))])
        submit = SubmitField(_l("Delete my account"))

    form = DeleteForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        if not accounts.authenticate(user.email, form.password.data).user:
            form.password.errors.append(_("Your password is not right."))
        else:
            try:
                privacy.delete_account(user)
            except privacy.PrivacyError as error:
                form.confirm.errors.append(str(error))
            else:
                logout_user()
                flash(_("Your account is deleted. Records the certification body must keep now show you as a former user."),
                      "success")
                return redirect(url_for("main.home"))
    return render_template("account/delete.html", form=form)
