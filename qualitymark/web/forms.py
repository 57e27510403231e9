"""Forms shared by several pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from qualitymark.services.accounts import MIN_PASSWORD_LENGTH

_NEW_PASSWORD = [
    InputRequired(message=_l("Enter a password.")),
    Length(min=MIN_PASSWORD_LENGTH, max=256, message=_l("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH)),
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_field(label=_l("Email address")):
    return EmailField(
        label,
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter an email address like name@example.coop."), check_deliverability=False),
            Length(max=254),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


class SignUpForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field()
    password = PasswordField(
        _l("Choose a password"),
        validators=_NEW_PASSWORD,
        description=_l("At least %(count)d characters. A few unrelated words make a strong password.",
                        count=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Create account"))


class SignInForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device for 30 days"))
    submit = SubmitField(_l("Sign in"))


class ResetRequestForm(FlaskForm):
    email = _email_field()
    submit = SubmitField(_l("Send me a reset link"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=_NEW_PASSWORD,
                             description=_l("At least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        _l("Type the new password again"),
        validators=[InputRequired(message=_l("Type the new password again.")),
                    EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Save the new password"))


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Change password"))


class CodeForm(FlaskForm):
    code = StringField(_l("Code from your authenticator app, or a recovery code"),
                       validators=[DataRequired(message=_l("Type the code."))], filters=[_strip],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"})
    submit = SubmitField(_l("Continue"))
