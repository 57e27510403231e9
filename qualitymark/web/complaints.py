"""Complaints: the public form (anyone, signed in or not) and the office's pages."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func
from sqlmodel import select
from wtforms import EmailField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from qualitymark import db, policy
from qualitymark.extensions import limiter
from qualitymark.models.accounts import Organisation, User
from qualitymark.models.certificates import Certificate
from qualitymark.models.lifecycle import COMPLAINT_OUTCOMES
from qualitymark.services import certificates as certificate_service
from qualitymark.services import complaints as service
from qualitymark.services import notifications as notices
from qualitymark.services import organisations as organisation_service

bp = Blueprint("complaints", __name__)

SESSION_KEY = "complaint_reference"


class ComplaintForm(FlaskForm):
    about = RadioField(_l("What is your complaint about?"),
                       validators=[DataRequired(message=_l("Choose what your complaint is about."))])
    coop = StringField(_l("The co-op's certificate code or name"), validators=[Optional(), Length(max=200)],
                       description=_l("Only if your complaint is about a co-op. As on its certificate or in "
                                       "the register, for example CQM-7K3Q9D2M4P."))
    name = StringField(_l("Your name"), validators=[
        DataRequired(message=_l("Give your name.")), Length(max=200, message=_l("Keep your name under 200 characters."))])
    email = EmailField(_l("Your email address"), description=_l("We write to you here about your complaint, and nowhere else."),
                       validators=[DataRequired(message=_l("Give an email address, so that we can tell you what happens.")),
                                   Email(message=_l("Enter an email address like name@example.org.")),
                                   Length(max=254)])
    text = TextAreaField(_l("What happened?"), description=_l(
        "Say what happened, when and who was involved, and what you would like to happen now. "
        "Up to 10,000 characters."), validators=[
        DataRequired(message=_l("Tell us what happened.")),
        Length(max=service.TEXT_MAX, message=_l("Keep it under 10,000 characters; you can send more when an officer "
                                                "writes to you."))])
    submit = SubmitField(_l("Send the complaint"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.about.choices = {"coop": _("A certified co-op"), "scheme": _("The Care Quality Mark scheme itself")}


def find_certified(value: str) -> tuple[Organisation | None, Certificate | None, str]:
    """The co-op a complaint names: by certificate code, register address or name. Only co-ops on
    the public register are found, so the form reveals nothing else. The third value is an error."""
    value = (value or "").strip()
    if not value:
        return None, None, _("Give the co-op's certificate code or name, or choose the scheme itself.")
    session_ = db.session()
    certificate = certificate_service.get_by_code(value)
    if certificate is not None:
        return session_.get(Organisation, certificate.organisation_id), certificate, ""
    certified = select(Certificate.organisation_id)
    organisation = session_.exec(select(Organisation).where(Organisation.slug == value.lower(),
                                                            Organisation.id.in_(certified))).first()
    if organisation is not None:
        return organisation, None, ""
    named = session_.exec(select(Organisation).where(func.lower(Organisation.name) == value.lower(),
                                                     Organisation.id.in_(certified))).all()
    if len(named) == 1:
        return named[0], None, ""
    if len(named) > 1:
        return None, None, _("More than one co-op has that name: give the code on its certificate instead.")
    return None, None, _("We could not find a certified co-op with that code or name. Check it in the register "
                         "of certified co-ops, or choose the scheme itself and tell us the co-op's name below.")


def _complaint_limit() -> str:
    return current_app.config["SETTINGS"].complaint_limit


def _accepted(response) -> bool:
    # Only complaints accepted count against the address: a form sent back with errors does not.
    return response.status_code == 302


@bp.route("/complaints/new", methods=["GET", "POST"])
@limiter.limit(_complaint_limit, methods=["POST"], deduct_when=_accepted, scope="complaints")
def new():
    form = ComplaintForm()
    if request.method == "GET":
        code, slug = request.args.get("certificate", ""), request.args.get("organisation", "")
        if code:
            certificate = certificate_service.get_by_code(code)
            if certificate is not None:
                form.about.data, form.coop.data = "coop", certificate.public_code
        elif slug:
            organisation, _certificate, error = find_certified(slug)
            if organisation is not None:
                form.about.data, form.coop.data = "coop", organisation.name
        if current_user.is_authenticated:
            form.name.data, form.email.data = current_user.name, current_user.email
    if form.is_submitted():
        valid = form.validate()
        organisation = certificate = None
        # Checked even when another field is wrong, so every problem is shown at once.
        if form.about.data == "coop":
            organisation, certificate, error = find_certified(form.coop.data)
            if error:
                form.coop.errors = [*form.coop.errors, error]
                valid = False
        if valid:
            complaint = service.make_complaint(service.ComplaintDetails(
                name=form.name.data, email=form.email.data, text=form.text.data, locale=g.get("lang", "en"),
                organisation=organisation, certificate=certificate,
                user=current_user if current_user.is_authenticated else None))
            session[SESSION_KEY] = complaint.reference
            return redirect(url_for("complaints.received"))
    return render_template("complaints/new.html", form=form)


@bp.route("/complaints/received")
def received():
    """The reference and what happens next. Kept in the sender's session only: a reference typed
    into an address shows nothing about anyone's complaint."""
    reference = session.get(SESSION_KEY)
    if not reference:
        return redirect(url_for("complaints.new"))
    return render_template("complaints/received.html", reference=reference)


# --- the office ---------------------------------------------------------------------------------------

class CloseForm(FlaskForm):
    outcome = RadioField(_l("Outcome"), validators=[DataRequired(message=_l("Choose an outcome."))])
    reason = TextAreaField(_l("Reasons (the complainant reads them; the co-op is never shown who complained)"),
                           validators=[DataRequired(message=_l("Write the reasons for the outcome.")),
                                       Length(max=10_000)])
    submit = SubmitField(_l("Close the complaint"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = {outcome: _(notices.WORDS[outcome]).capitalize() for outcome in COMPLAINT_OUTCOMES}


class TakeForm(FlaskForm):
    submit = SubmitField(_l("I will handle this"))


@bp.route("/office/complaints")
@login_required
def office_list():
    policy.authorise("complaint.view")
    return render_template("complaints/office_list.html", rows=service.listing())


@bp.route("/office/complaints/<int:complaint_id>", methods=["GET", "POST"])
@login_required
def office_show(complaint_id: int):
    policy.authorise("complaint.view")
    complaint = service.get(complaint_id)
    if complaint is None:
        abort(404)
    take_form, close_form = TakeForm(), CloseForm()
    refusal = ""
    if request.method == "POST":
        policy.authorise("complaint.handle", complaint)
        action = request.form.get("action")
        if action == "take" and take_form.validate_on_submit():
            try:
                service.take(complaint, actor=current_user)
            except service.ComplaintError as error:
                refusal = str(error)
            else:
                flash(_("You are handling complaint %(reference)s.", reference=complaint.reference), "success")
                return redirect(url_for("complaints.office_show", complaint_id=complaint.id))
        elif action == "close":
            if close_form.validate_on_submit():
                try:
                    service.close(complaint, outcome=close_form.outcome.data, reason=close_form.reason.data,
                                  actor=current_user)
                except service.ComplaintError as error:
                    close_form.reason.errors.append(str(error))
                else:
                    flash(_("Complaint %(reference)s is closed and the complainant is told.",
                            reference=complaint.reference), "success")
                    return redirect(url_for("complaints.office_show", complaint_id=complaint.id))
        else:
            abort(400)
    session_ = db.session()
    conflicts = service.handler_conflicts(complaint, current_user)
    return render_template(
        "complaints/office_show.html", complaint=complaint, organisation=service.about(complaint),
        certificate=session_.get(Certificate, complaint.certificate_id) if complaint.certificate_id else None,
        handler=session_.get(User, complaint.handler_id) if complaint.handler_id else None,
        take_form=take_form, close_form=close_form, conflicts=conflicts, refusal=refusal,
        may_handle=policy.can(current_user, "complaint.handle", complaint), words=notices.WORDS)
