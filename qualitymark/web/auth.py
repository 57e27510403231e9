"""Sign up, confirm, sign in, sign out, reset a forgotten password."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from qualitymark.extensions import limiter
from qualitymark.services import accounts
from qualitymark.web.forms import CodeForm, NewPasswordForm, ResetRequestForm, SignInForm, SignUpForm
from qualitymark.web.safety import safe_next

bp = Blueprint("auth", __name__)

CHECK_EMAIL = _l(
    "Check your email: if the address can be used, we have sent a message to it with what to do next. "
    "It may take a few minutes; look in your spam folder too."
)


def _signin_limit() -> str:
    return current_app.config["SETTINGS"].signin_limit


def _email_key() -> str:
    return "signin-email:" + accounts.normalise_email(request.form.get("email", ""))


def _only_failures(response) -> bool:
    # A successful sign-in does not use up an attempt.
    return bool(g.get("signin_failed"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def signup():
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            accounts.register_user(form.name.data, form.email.data, form.password.data, locale=g.lang)
        except accounts.AccountError as error:
            form.password.errors.append(str(error))
        else:
            flash(str(CHECK_EMAIL), "success")
            return redirect(url_for("auth.signin"))
    return render_template("auth/signup.html", form=form)


@bp.route("/confirm/<token>")
def confirm(token: str):
    try:
        accounts.confirm_email(token)
    except accounts.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.signin"))
    flash(_("Thank you: your email address is confirmed. You can sign in now."), "success")
    return redirect(url_for("auth.signin"))


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"], key_func=_email_key, deduct_when=_only_failures,
               scope="signin-account")
@limiter.limit(_signin_limit, methods=["POST"], deduct_when=_only_failures, scope="signin-address")
def signin():
    if current_user.is_authenticated:
        return redirect(safe_next())
    form = SignInForm()
    if form.validate_on_submit():
        result = accounts.authenticate(form.email.data, form.password.data)
        if result.user is None:
            g.signin_failed = True
            form.password.errors.append(_(
                "The email address or the password is not right. Check both and try again, "
                "or reset your password."))
        elif result.needs_confirmation:
            flash(_("Your email address is not confirmed yet. We have sent you a new confirmation link."), "info")
            return redirect(url_for("auth.signin"))
        elif result.user.two_factor_enabled:
            # The password was right; the second factor comes next. Nothing is signed in yet.
            session["two_factor_pending"] = {"id": result.user.get_id(), "remember": bool(form.remember.data),
                                             "next": safe_next()}
            return redirect(url_for("auth.second_factor"))
        else:
            accounts.record_sign_in(result.user, second_factor=False)
            login_user(result.user, remember=form.remember.data)
            flash(_("Welcome, %(name)s.", name=result.user.name), "success")
            return redirect(safe_next())
    return render_template("auth/signin.html", form=form, next=request.args.get("next", ""))


def _pending_key() -> str:
    pending = session.get("two_factor_pending") or {}
    return "second-factor:" + str(pending.get("id", "none"))


@bp.route("/signin/code", methods=["GET", "POST"])
@limiter.limit("5 per minute;20 per hour", methods=["POST"], key_func=_pending_key, scope="second-factor",
               deduct_when=_only_failures)
def second_factor():
    from qualitymark.services import two_factor

    pending = session.get("two_factor_pending")
    user = accounts.load_user(pending["id"]) if pending else None
    if user is None:
        session.pop("two_factor_pending", None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.signin"))
    form = CodeForm()
    if form.validate_on_submit():
        if two_factor.verify(user, form.code.data):
            session.pop("two_factor_pending", None)
            accounts.record_sign_in(user, second_factor=True)
            login_user(user, remember=pending.get("remember", False))
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(pending.get("next") or url_for("main.home"))
        g.signin_failed = True
        form.code.errors.append(_("That code is not right. Type the 6 digits your app shows now, or one of your "
                                  "recovery codes."))
    return render_template("auth/second_factor.html", form=form)


@bp.route("/signout", methods=["POST"])
def signout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"], key_func=lambda: "reset:" + request.form.get("email", "").lower())
@limiter.limit("20 per hour", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        flash(str(CHECK_EMAIL), "success")
        return redirect(url_for("auth.signin"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    try:
        accounts.user_for_reset_token(token)
    except accounts.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.reset_request"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except accounts.AccountError as error:
            form.password.errors.append(str(error))
        else:
            logout_user()
            flash(_("Your new password is saved. Sign in with it now."), "success")
            return redirect(url_for("auth.signin"))
    return render_template("auth/reset.html", form=form)
