"""Sign up, confirm, sign in, sign out, reset a forgotten password."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from qualitymark.extensions import limiter
from qualitymark.services import accounts
from qualitymark.web.forms import NewPasswordForm, ResetRequestForm, SignInForm, SignUpForm
from qualitymark.web.safety import safe_next

bp = Blueprint("auth", __name__)

CHECK_EMAIL = (
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
            accounts.register_user(form.name.data, form.email.data, form.password.data)
        except accounts.AccountError as error:
            form.password.errors.append(str(error))
        else:
            flash(CHECK_EMAIL, "success")
            return redirect(url_for("auth.signin"))
    return render_template("auth/signup.html", form=form)


@bp.route("/confirm/<token>")
def confirm(token: str):
    try:
        accounts.confirm_email(token)
    except accounts.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.signin"))
    flash("Thank you: your email address is confirmed. You can sign in now.", "success")
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
            form.password.errors.append(
                "The email address or the password is not right. Check both and try again, "
                "or reset your password."
            )
        elif result.needs_confirmation:
            flash("Your email address is not confirmed yet. We have sent you a new confirmation link.", "info")
            return redirect(url_for("auth.signin"))
        else:
            login_user(result.user, remember=form.remember.data)
            flash(f"Welcome, {result.user.name}.", "success")
            return redirect(safe_next())
    return render_template("auth/signin.html", form=form, next=request.args.get("next", ""))


@bp.route("/signout", methods=["POST"])
def signout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("main.home"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"], key_func=lambda: "reset:" + request.form.get("email", "").lower())
@limiter.limit("20 per hour", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        flash(CHECK_EMAIL, "success")
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
            flash("Your new password is saved. Sign in with it now.", "success")
            return redirect(url_for("auth.signin"))
    return render_template("auth/reset.html", form=form)
