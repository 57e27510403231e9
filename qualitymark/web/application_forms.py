"""Forms for applications. The self-assessment form is generated from the rubric."""
from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from qualitymark.rubrics import Rubric, Section, text

NARRATIVE_LIMIT = 20_000


class StartApplicationForm(FlaskForm):
    rubric_version = SelectField(_l("Version of the criteria"), coerce=int,
                                 validators=[InputRequired(message=_l("Choose the version of the criteria."))])
    agreement_version = HiddenField()
    accept = BooleanField(_l("We have read the scheme agreement above and accept it on behalf of the co-op"),
                          validators=[DataRequired(message=_l("Tick the box to accept the scheme agreement."))])
    submit = SubmitField(_l("Start the application"))


def section_form(rubric: Rubric, section: Section, lang: str = "en"):
    """A form class with, per criterion: a level (radios), a narrative and the lock version."""

    class SectionForm(FlaskForm):
        save = SubmitField(_("Save"))
        save_and_next = SubmitField(_("Save and go to the next section"))

    # Built per request, so plain gettext: the labels are in the language of this page.
    choices = {"": _("Not decided yet")} | {
        str(level.level): f"{level.level} – {text(level.name, lang)}" for level in rubric.scale
    }
    for criterion in section.criteria:
        setattr(SectionForm, f"level_{criterion.id}", RadioField(
            _("%(criterion)s: your self-assessed level", criterion=criterion.id), choices=choices, default="",
            validators=[Optional()]))
        setattr(SectionForm, f"narrative_{criterion.id}", TextAreaField(
            _("%(criterion)s: what you do, and how you know", criterion=criterion.id), validators=[
                Length(max=NARRATIVE_LIMIT, message=_("Keep it under %(count)s characters.",
                                                      count=format_decimal(NARRATIVE_LIMIT)))],
            description=_("Describe your practice in your own words. You can use Markdown: **bold**, lists with -, "
                          "links.")))
        setattr(SectionForm, f"lock_{criterion.id}", HiddenField())
    return SectionForm


class SubmitApplicationForm(FlaskForm):
    confirm = BooleanField(_l("We confirm that what we send is true to the best of our knowledge"),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])
    submit = SubmitField(_l("Submit the application"))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why are you withdrawing? (optional)"), validators=[Length(max=2000)])
    confirm = BooleanField(_l("Yes, withdraw this application. We understand it cannot be reopened."),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])
    submit = SubmitField(_l("Withdraw the application"))


def change_request_form(rubric: Rubric, lang: str = "en"):
    class ChangeRequestForm(FlaskForm):
        overall = TextAreaField(_("About the application as a whole"), validators=[Length(max=5000)])
        submit = SubmitField(_("Send the requests to the co-op"))

    for criterion in rubric.criteria():
        setattr(ChangeRequestForm, f"request_{criterion.id}", TextAreaField(
            f"{criterion.id} {text(criterion.title, lang)}", validators=[Length(max=5000)]))
    return ChangeRequestForm
