"""Forms shared by several pages."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from qualitymark.services.accounts import MIN_PASSWORD_LENGTH

_NEW_PASSWORD = [
    InputRequired(message="Enter a password."),
    Length(min=MIN_PASSWORD_LENGTH, max=256, message=f"Use at least {MIN_PASSWORD_LENGTH} characters."),
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_field(label="Email address"):
    return EmailField(
        label,
        validators=[
            DataRequired(message="Enter your email address."),
            Email(message="Enter an email address like name@example.coop.", check_deliverability=False),
            Length(max=254),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


class SignUpForm(FlaskForm):
    name = StringField(
        "Your name",
        validators=[DataRequired(message="Enter your name."), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field()
    password = PasswordField(
        "Choose a password",
        validators=_NEW_PASSWORD,
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong password.",
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Create account")


class SignInForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        "Password",
        validators=[InputRequired(message="Enter your password.")],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me signed in on this device for 30 days")
    submit = SubmitField("Sign in")


class ResetRequestForm(FlaskForm):
    email = _email_field()
    submit = SubmitField("Send me a reset link")


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=_NEW_PASSWORD,
                             description=f"At least {MIN_PASSWORD_LENGTH} characters.",
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        "Type the new password again",
        validators=[InputRequired(message="Type the new password again."),
                    EqualTo("password", message="The two passwords are not the same.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Save the new password")


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Current password",
        validators=[InputRequired(message="Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Change password")


class CodeForm(FlaskForm):
    code = StringField("Code from your authenticator app, or a recovery code",
                       validators=[DataRequired(message="Type the code.")], filters=[_strip],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"})
    submit = SubmitField("Continue")
