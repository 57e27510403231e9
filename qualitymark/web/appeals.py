"""Appeals: the co-op's form (against a decision, or a suspension) and the office's pages."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from qualitymark import db, policy
from qualitymark.models.accounts import Organisation, User
from qualitymark.models.certificates import Certificate
from qualitymark.models.reviews import Decision
from qualitymark.services import appeals as service
from qualitymark.services import applications as application_service
from qualitymark.services import certificates as certificate_service
from qualitymark.services import organisations as organisation_service
from qualitymark.services import reviews
from qualitymark.services.notifications import WORDS

bp = Blueprint("appeals", __name__)


class AppealForm(FlaskForm):
    grounds = TextAreaField(_l("Your grounds for appeal"), description=_l(
        "Say why the decision should be made again: what you think was wrong, missed or misunderstood, and any "
        "evidence for it. The officer who decides the appeal took no part in the case. Up to 10,000 characters."),
        validators=[DataRequired(message=_l("Write your grounds for appeal.")),
                    Length(max=service.GROUNDS_MAX, message=_l("Keep the grounds under 10,000 characters."))])
    submit = SubmitField(_l("Send the appeal"))


# --- the co-op ----------------------------------------------------------------------------------------

@bp.route("/applications/<int:application_id>/appeal", methods=["GET", "POST"])
@login_required
def decision(application_id: int):
    application = application_service.get(application_id)
    if application is None:
        abort(404)
    policy.authorise("application.view", application)
    state = service.decision_appealable(application)  # None: nothing decided yet, nothing to appeal
    organisation = db.session().get(Organisation, application.organisation_id)
    form = AppealForm()
    if request.method == "POST":
        policy.authorise("appeal.lodge", application)
        if form.validate_on_submit():
            try:
                service.appeal_decision(application, form.grounds.data, actor=current_user)
            except service.AppealError as error:
                form.grounds.errors.append(str(error))
            else:
                flash(_("Your appeal is sent. An officer who took no part in the decision will decide it, and you "
                        "will be told the outcome and the reasons."), "success")
                return redirect(url_for("applications.show", application_id=application.id))
    return render_template("appeals/new.html", form=form, state=state, organisation=organisation,
                           subject="decision", decision=reviews.current_decision(application), application=application,
                           back=url_for("applications.show", application_id=application.id),
                           may_appeal=policy.can(current_user, "appeal.lodge", application))


@bp.route("/coops/<slug>/certificates/<code>/appeal", methods=["GET", "POST"])
@login_required
def suspension(slug: str, code: str):
    organisation = organisation_service.get_by_slug(slug)
    if organisation is None:
        abort(404)
    policy.authorise("organisation.view", organisation)
    certificate = certificate_service.get_by_code(code)
    if certificate is None or certificate.organisation_id != organisation.id:
        abort(404)
    state = service.suspension_appealable(certificate)
    form = AppealForm()
    if request.method == "POST":
        policy.authorise("appeal.lodge", organisation)
        if form.validate_on_submit():
            try:
                service.appeal_suspension(certificate, form.grounds.data, actor=current_user)
            except service.AppealError as error:
                form.grounds.errors.append(str(error))
            else:
                flash(_("Your appeal is sent. An officer who took no part in the suspension will decide it, and you "
                        "will be told the outcome and the reasons."), "success")
                return redirect(url_for("appeals.suspension", slug=slug, code=certificate.public_code))
    return render_template("appeals/new.html", form=form, state=state, organisation=organisation,
                           subject="suspension", certificate=certificate,
                           history=service.suspension_appeals(certificate),
                           back=url_for("organisations.show", slug=slug),
                           may_appeal=policy.can(current_user, "appeal.lodge", organisation))


@bp.app_context_processor
def _appeal_helpers():
    """For the application page and the co-op's certificate page."""
    return {"decision_appeal": service.decision_appealable, "suspension_appeal": service.suspension_appealable,
            "appeal_days": service.appeal_days}


# --- the office ---------------------------------------------------------------------------------------

class DecideForm(FlaskForm):
    outcome = RadioField(_l("Outcome"), validators=[DataRequired(message=_l("Choose an outcome."))])
    reason = TextAreaField(_l("Reasons (the co-op reads them)"), validators=[
        DataRequired(message=_l("Write the reasons for the outcome.")), Length(max=10_000)])
    submit = SubmitField(_l("Record the outcome"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = {
            "upheld": _("Upheld: the decision is made again (a suspension is lifted at once)"),
            "dismissed": _("Dismissed: the decision stands"),
        }


@bp.route("/office/appeals")
@login_required
def office_list():
    policy.authorise("office.view")
    return render_template("appeals/office_list.html", rows=service.listing())


@bp.route("/office/appeals/<int:appeal_id>", methods=["GET", "POST"])
@login_required
def office_show(appeal_id: int):
    policy.authorise("office.view")
    appeal = service.get(appeal_id)
    if appeal is None:
        abort(404)
    form = DecideForm()
    if request.method == "POST":
        policy.authorise("appeal.decide", appeal)
        if form.validate_on_submit():
            try:
                service.decide(appeal, upheld=form.outcome.data == "upheld", reason=form.reason.data,
                               actor=current_user)
            except service.AppealError as error:
                form.reason.errors.append(str(error))
            else:
                flash(_("The appeal is %(outcome)s and the co-op is told.", outcome=_(WORDS[appeal.status])), "success")
                return redirect(url_for("appeals.office_show", appeal_id=appeal.id))
    session = db.session()
    application = service.application_of(appeal)
    return render_template(
        "appeals/office_show.html", appeal=appeal, form=form, application=application,
        organisation=session.get(Organisation, appeal.organisation_id),
        decision=service.appealed_decision(appeal),
        new_decision=session.get(Decision, appeal.new_decision_id) if appeal.new_decision_id else None,
        certificate=session.get(Certificate, appeal.certificate_id) if appeal.certificate_id else None,
        lodged_by=session.get(User, appeal.lodged_by_id),
        handler=session.get(User, appeal.handler_id) if appeal.handler_id else None,
        suspended_by=session.get(User, service.suspended_by(appeal)) if appeal.subject == "suspension" and
        service.suspended_by(appeal) else None,
        conflicts=service.decider_conflicts(appeal, current_user),
        may_decide=policy.can(current_user, "appeal.decide", appeal))

