"""A co-op's certificate after issuing: its page for the co-op, renewal, annual declarations, the
office's review of reported changes, and the confirmation of evidence carried into a renewal."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import BooleanField, HiddenField, RadioField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from qualitymark import db, policy
from qualitymark.agreements import agreement
from qualitymark.models.accounts import Organisation
from qualitymark.models.applications import Application
from qualitymark.models.certificates import Certificate
from qualitymark.models.lifecycle import AnnualDeclaration
from qualitymark.services import certificates as certificate_service
from qualitymark.services import lifecycle as service
from qualitymark.services import organisations as organisation_service
from qualitymark.services.rubrics import open_versions
from qualitymark.web.markdown import render_markdown

bp = Blueprint("lifecycle", __name__)


class RenewForm(FlaskForm):
    agreement_version = HiddenField()
    accept = BooleanField(_l("We have read the scheme agreement above and accept it on behalf of the co-op"),
                          validators=[DataRequired(message=_l("Tick the box to accept the scheme agreement."))])
    submit = SubmitField(_l("Start the renewal"))


class DeclarationForm(FlaskForm):
    outcome = RadioField(_l("Has anything material changed since the co-op was certified?"),
                         validators=[InputRequired(message=_l("Choose whether anything material has changed."))])
    changes = TextAreaField(_l("What has changed"), validators=[Length(max=10000)], description=_l(
        "For example: a change of legal form or governance, services started or stopped, a merger, a serious "
        "complaint or incident, a change in who the members are."))
    confirm = BooleanField(_l("We confirm that this declaration is true to the best of our knowledge"),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])
    submit = SubmitField(_l("Send the declaration"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Plain strings, in this request's language (WTForms wants str values in a choices dict).
        self.outcome.choices = {
            "no_change": _("No: nothing material has changed"),
            "changes_reported": _("Yes: something has changed, and we describe it below"),
        }


class ReviewForm(FlaskForm):
    note = TextAreaField(_l("What the reported changes mean for the certificate"),
                         validators=[DataRequired(message=_l("Write what the reported changes mean for the certificate.")),
                                     Length(max=10000)])
    submit = SubmitField(_l("Record the review"))


class ConfirmEvidenceForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))


def _certificate(slug: str, code: str) -> tuple[Organisation, Certificate]:
    organisation = organisation_service.get_by_slug(slug)
    if organisation is None:
        abort(404)
    policy.authorise("certificate.manage", organisation)
    certificate = certificate_service.get_by_code(code)
    if certificate is None or certificate.organisation_id != organisation.id:
        abort(404)
    return organisation, certificate


@bp.route("/coops/<slug>/certificates/<code>")
@login_required
def certificate(slug: str, code: str):
    organisation, cert = _certificate(slug, code)
    allowed, why_not = service.can_renew(cert)
    return render_template(
        "lifecycle/certificate.html", organisation=organisation, certificate=cert,
        state=service.public_state(cert), renewal=service.renewal_of(cert), can_renew=allowed, why_not=why_not,
        renewal_opens=service.renewal_opens_on(cert), declarations=service.declaration_schedule(cert),
        today=service.today(), may_act=policy.can(current_user, "certificate.renew", organisation))


@bp.route("/coops/<slug>/certificates/<code>/renew", methods=["GET", "POST"])
@login_required
def renew(slug: str, code: str):
    organisation, cert = _certificate(slug, code)
    policy.authorise("certificate.renew", organisation)
    form = RenewForm()
    current = agreement()
    if request.method == "GET":
        form.agreement_version.data = current.version
    allowed, why_not = service.can_renew(cert)
    previous = service.renewal_of(cert)
    if allowed and form.validate_on_submit():
        try:
            application = service.start_renewal(cert, actor=current_user, agreement_version=form.agreement_version.data,
                                                agreement_accepted=form.accept.data)
        except service.LifecycleError as error:
            form.accept.errors.append(str(error))
        else:
            flash(_("The renewal is started, with your last answers and evidence filled in. Check each section "
                    "against the current criteria, confirm the evidence is still current, then submit."), "success")
            return redirect(url_for("applications.show", application_id=application.id))
    versions = open_versions(db.session().get(Application, cert.application_id).scheme)
    return render_template("lifecycle/renew.html", organisation=organisation, certificate=cert, form=form,
                           allowed=allowed, why_not=why_not, previous=previous, version=versions[0] if versions else None,
                           agreement=current, agreement_html=render_markdown(current.text))


@bp.route("/coops/<slug>/certificates/<code>/declarations/<int:year>", methods=["GET", "POST"])
@login_required
def declaration(slug: str, code: str, year: int):
    organisation, cert = _certificate(slug, code)
    due = service.declaration_for(cert, year)
    if due is None:
        abort(404)
    if request.method == "POST":
        policy.authorise("certificate.renew", organisation)
    form = DeclarationForm()
    may_declare = policy.can(current_user, "certificate.renew", organisation)
    if due.made is None and form.validate_on_submit():
        if form.outcome.data == "changes_reported" and not (form.changes.data or "").strip():
            form.changes.errors.append(_("Describe what has changed."))
        else:
            try:
                service.make_declaration(cert, year, outcome=form.outcome.data, changes=form.changes.data or "",
                                         actor=current_user)
            except service.LifecycleError as error:
                form.outcome.errors.append(str(error))
            else:
                flash(_("Thank you: the declaration is recorded."), "success")
                return redirect(url_for("lifecycle.certificate", slug=slug, code=code))
    return render_template("lifecycle/declaration.html", organisation=organisation, certificate=cert, due=due,
                           form=form, may_declare=may_declare, today=service.today())


@bp.route("/applications/<int:application_id>/evidence/confirm", methods=["POST"])
@login_required
def confirm_evidence(application_id: int):
    application = db.session().get(Application, application_id)
    if application is None:
        abort(404)
    policy.authorise("application.view", application)
    policy.authorise("application.edit", application)
    form = ConfirmEvidenceForm()
    if not form.validate_on_submit():
        abort(400)
    wanted = request.form.get("evidence_id")
    items = service.unconfirmed_evidence(application)
    if wanted != "all":
        items = [item for item in items if str(item.id) == wanted]
    try:
        count = service.confirm_evidence(application, items, actor=current_user)
    except service.LifecycleError as error:
        flash(str(error), "error")
    else:
        flash(_("Confirmed as still current: %(num)d file(s).", num=count), "success")
    return redirect(url_for("evidence.index", application_id=application.id))


# --- the office ---------------------------------------------------------------------------------------

@bp.route("/office/declarations")
@login_required
def office_declarations():
    policy.authorise("office.view")
    reviewed = db.session().exec(
        select(AnnualDeclaration, Certificate, Organisation)
        .join(Certificate, Certificate.id == AnnualDeclaration.certificate_id)
        .join(Organisation, Organisation.id == Certificate.organisation_id)
        .order_by(AnnualDeclaration.declared_at.desc()).limit(50)).all()
    return render_template("lifecycle/office_declarations.html", waiting=service.declarations_to_review(),
                           recent=reviewed)


@bp.route("/office/declarations/<int:declaration_id>", methods=["GET", "POST"])
@login_required
def office_declaration(declaration_id: int):
    policy.authorise("office.view")
    declaration = db.session().get(AnnualDeclaration, declaration_id)
    if declaration is None:
        abort(404)
    cert = db.session().get(Certificate, declaration.certificate_id)
    organisation = db.session().get(Organisation, cert.organisation_id)
    if request.method == "POST":
        policy.authorise("office.decide")
    form = ReviewForm()
    if declaration.reviewed_at is None and form.validate_on_submit():
        try:
            service.review_declaration(declaration, form.note.data, actor=current_user)
        except service.LifecycleError as error:
            form.note.errors.append(str(error))
        else:
            flash("The review is recorded.", "success")
            return redirect(url_for("lifecycle.office_declarations"))
    return render_template("lifecycle/office_declaration.html", declaration=declaration, certificate=cert,
                           organisation=organisation, form=form)


def renewal_context(application: Application):
    """For the application pages: the certificate a renewal renews and what changed in the criteria."""
    if application.renews_certificate_id is None:
        return None
    cert = db.session().get(Certificate, application.renews_certificate_id)
    return {"certificate": cert, "diff": service.renewal_diff(application),
            "unconfirmed": len(service.unconfirmed_evidence(application))}



@bp.app_context_processor
def _renewal_helpers():
    def coop_certificates(organisation: Organisation):
        history = certificate_service.certificates_of(organisation)
        return list(zip(history, service.public_states(history)))

    return {"renewal_context": renewal_context, "coop_certificates": coop_certificates}
