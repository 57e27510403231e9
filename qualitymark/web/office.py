"""The certification office: the dashboard, assigning, moderating, deciding, the assessor pool."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import (BooleanField, DateField, EmailField, IntegerField, RadioField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from qualitymark import db, policy
from qualitymark.models.accounts import Organisation, User
from qualitymark.models.reviews import Assignment, Decision
from qualitymark.services import applications as application_service
from qualitymark.services import office as office_service
from qualitymark.services import reviews as service
from qualitymark.services.accounts import find_user

bp = Blueprint("office", __name__, url_prefix="/office")


def _application(application_id: int, action: str):
    application = application_service.get(application_id)
    if application is None:
        abort(404)
    policy.authorise(action, application)
    return application


@bp.route("/")
@login_required
def dashboard():
    policy.authorise("office.view")
    state = request.args.get("state", "")
    filter_name = request.args.get("filter", "")
    search = request.args.get("q", "")
    number = max(request.args.get("page", 1, type=int) or 1, 1)
    listing = office_service.page(state, filter_name, search, number)
    pages = max((listing.total + office_service.PAGE_SIZE - 1) // office_service.PAGE_SIZE, 1)
    return render_template("office/dashboard.html", rows=listing.rows, total=listing.total, page=number,
                           pages=pages, state=state, filter_name=filter_name, search=search,
                           filters=office_service.FILTERS, counts=listing.counts,
                           waiting=office_service.waiting_elsewhere())


@bp.route("/export.csv")
@login_required
def export():
    policy.authorise("office.view")
    data = office_service.csv_export(request.args.get("state", ""), request.args.get("filter", ""),
                                     request.args.get("q", ""))
    return Response(data, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="applications.csv"'})


class AssignForm(FlaskForm):
    assessor_id = IntegerField(validators=[DataRequired()])
    due_date = DateField("Due date", validators=[Optional()])


class OverrideForm(FlaskForm):
    assessor_id = IntegerField(validators=[DataRequired()])
    reason = TextAreaField("Reason for overriding the conflict", validators=[
        DataRequired(message="Write the reason: it is kept on record."), Length(min=20, max=2000,
        message="Write the reason in full (at least 20 characters).")])


@bp.route("/applications/<int:application_id>/assign", methods=["GET", "POST"])
@login_required
def assign(application_id: int):
    application = _application(application_id, "office.assign")
    form, override_form = AssignForm(prefix="assign"), OverrideForm(prefix="override")
    if request.method == "POST":
        try:
            if "auto" in request.form:
                if not FlaskForm().validate_on_submit():
                    abort(400)
                made = service.auto_assign(application, actor=current_user)
                flash(f"{len(made)} assessor(s) invited.", "success")
            elif "override-reason" in request.form:
                policy.authorise("admin.override_conflict", application)
                if override_form.validate_on_submit():
                    assessor = db.session().get(User, override_form.assessor_id.data) or abort(404)
                    service.override_conflict(application, assessor, override_form.reason.data, actor=current_user)
                    flash("The override is recorded. You can now assign this assessor.", "success")
                else:
                    raise service.ReviewError(" ".join(e for errors in override_form.errors.values() for e in errors))
            elif form.validate_on_submit():
                assessor = db.session().get(User, form.assessor_id.data) or abort(404)
                service.assign(application, assessor, actor=current_user, due_date=form.due_date.data)
                flash(f"{assessor.name} is invited.", "success")
            else:
                abort(400)
            return redirect(url_for("office.assign", application_id=application.id))
        except service.ReviewError as error:
            flash(str(error), "error")
    organisation = db.session().get(Organisation, application.organisation_id)
    current = service.assignments(application, application.current_round)
    names = {u.id: u.name for u in db.session().exec(select(User).where(
        User.id.in_([a.assessor_id for a in current] or [-1]))).all()}
    return render_template("office/assign.html", application=application, organisation=organisation,
                           candidates=service.candidates(application), current=current, names=names,
                           needed=service.needed(application), form=form, override_form=override_form,
                           may_override=policy.can(current_user, "admin.override_conflict", application))


@bp.route("/applications/<int:application_id>/moderate", methods=["GET", "POST"])
@login_required
def moderate(application_id: int):
    application = _application(application_id, "office.moderate")
    _version, rubric = application_service.rubric_for(application)
    table = service.moderation_table(application)
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            decisions = {}
            for row in table:
                raw = request.form.get(f"level_{row.criterion_id}", "")
                if raw != "":
                    decisions[row.criterion_id] = (int(raw), request.form.get(f"note_{row.criterion_id}", ""))
            if decisions:
                service.moderate(application, decisions, actor=current_user)
            if "complete" in request.form:
                service.complete_moderation(application, actor=current_user)
                flash("Moderation is complete. The application is ready for a decision.", "success")
                return redirect(url_for("applications.show", application_id=application.id))
            flash("The moderated levels are saved.", "success")
            return redirect(url_for("office.moderate", application_id=application.id))
        except (ValueError, service.ReviewError) as error:
            flash(str(error) if isinstance(error, service.ReviewError) else "Choose levels from the scale.", "error")
    scores = service.submitted_scores(application)
    names = {u.id: u.name for u in db.session().exec(select(User).where(
        User.id.in_({a.assessor_id for pairs in scores.values() for a, _s in pairs} or {-1}))).all()}
    return render_template("office/moderate.html", application=application, rubric=rubric, table=table,
                           scores=scores, names=names, blocked=current_user.id in service.assessor_ids(application),
                           threshold=rubric.assessment.divergence_threshold)


class DecisionForm(FlaskForm):
    outcome = RadioField("Outcome", choices={"certify": "Certify",
                                             "certify_with_conditions": "Certify with conditions",
                                             "decline": "Decline"},
                         validators=[DataRequired(message="Choose an outcome.")])
    rationale = TextAreaField("Rationale (the co-op reads this)", validators=[
        DataRequired(message="Write the rationale for the decision."), Length(max=10_000)])
    conditions = TextAreaField("Conditions, one per line as: YYYY-MM-DD what must be done", validators=[Length(max=5000)])
    submit = SubmitField("Record the decision")


def _parse_conditions(text: str) -> list[tuple[str, date]]:
    conditions = []
    for number, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        due, _, what = line.partition(" ")
        try:
            conditions.append((what.strip(), date.fromisoformat(due)))
        except ValueError:
            raise service.ReviewError(f"Condition line {number}: start with its due date as YYYY-MM-DD, then a "
                                      "space, then what must be done.") from None
        if not what.strip():
            raise service.ReviewError(f"Condition line {number}: say what must be done after the date.")
    return conditions


@bp.route("/applications/<int:application_id>/decide", methods=["GET", "POST"])
@login_required
def decide(application_id: int):
    application = _application(application_id, "office.decide")
    _version, rubric = application_service.rubric_for(application)
    form = DecisionForm()
    current = service.current_decision(application)
    correcting = current is not None
    reasons = service.decider_conflicts(application, current_user)
    if form.validate_on_submit():
        try:
            service.record_decision(application, outcome=form.outcome.data, rationale=form.rationale.data,
                                    actor=current_user, conditions=_parse_conditions(form.conditions.data),
                                    replaces=current if correcting else None)
        except service.ReviewError as error:
            form.rationale.errors.append(str(error))
        else:
            flash("The decision is recorded and the co-op is told.", "success")
            return redirect(url_for("applications.show", application_id=application.id))
    verdict = service.verdict_for(application) if application.status in ("decision_pending", "certified", "declined") else None
    return render_template("office/decide.html", application=application, rubric=rubric, form=form,
                           verdict=verdict, reasons=reasons, current=current,
                           history=service.decisions(application))


class AssessorForm(FlaskForm):
    email = EmailField("Email of the person (they need an account)", validators=[DataRequired()])
    home_coop = StringField("Home co-op (its address name, e.g. cwmni-gofal)", validators=[Optional()])
    regions = StringField("Regions, separated by commas", validators=[Optional(), Length(max=500)])
    languages = StringField("Languages (en, cy), separated by commas", default="en", validators=[Length(max=50)])
    sections = StringField("Sections of expertise (A–J), separated by commas", validators=[Length(max=200)])
    capacity = IntegerField("Reviews per quarter", default=4, validators=[NumberRange(min=0, max=100)])
    active = BooleanField("Active (can take new reviews)", default=True)
    submit = SubmitField("Save the assessor")


@bp.route("/assessors", methods=["GET", "POST"])
@login_required
def assessors():
    policy.authorise("admin.assessors")
    form = AssessorForm()
    if form.validate_on_submit():
        user = find_user(form.email.data)
        home = None
        if form.home_coop.data:
            home = db.session().exec(select(Organisation).where(Organisation.slug == form.home_coop.data.strip())).first()
        if user is None:
            form.email.errors.append("There is no account with this email. Ask the person to sign up first.")
        elif form.home_coop.data and home is None:
            form.home_coop.errors.append("There is no co-op with that address name.")
        else:
            split = lambda value: [part.strip() for part in (value or "").split(",") if part.strip()]  # noqa: E731
            service.appoint_assessor(user, service.AssessorDetails(
                home_organisation_id=home.id if home else None, regions=split(form.regions.data),
                languages=split(form.languages.data), expertise_sections=split(form.sections.data),
                capacity_per_quarter=form.capacity.data or 0, active=form.active.data), actor=current_user)
            flash(f"{user.name} is an assessor.", "success")
            return redirect(url_for("office.assessors"))
    homes = {o.id: o.name for o in db.session().exec(select(Organisation)).all()}
    return render_template("office/assessors.html", pool=service.pool(), form=form, homes=homes)


@bp.route("/calibration")
@login_required
def calibration():
    policy.authorise("admin.calibration")
    from qualitymark.services.calibration_report import report

    return render_template("office/calibration.html", versions=report())


__all__ = ["bp", "Assignment", "Decision"]


class CertificateActionForm(FlaskForm):
    reason = TextAreaField("Reason (the co-op is told; it is kept on record)", validators=[
        DataRequired(message="Write the reason."), Length(max=2000)])


@bp.route("/certificates/<code>", methods=["GET", "POST"])
@login_required
def certificate(code: str):
    from qualitymark.services import certificates as certificate_service

    policy.authorise("office.view")
    certificate = certificate_service.get_by_code(code)
    if certificate is None:
        abort(404)
    form = CertificateActionForm()
    if form.validate_on_submit():
        action = request.form.get("action")
        try:
            if action == "suspend":
                certificate_service.suspend(certificate, form.reason.data, actor=current_user)
            elif action == "reinstate":
                certificate_service.reinstate(certificate, form.reason.data, actor=current_user)
            elif action == "withdraw" and request.form.get("confirm") == "yes":
                certificate_service.withdraw(certificate, form.reason.data, actor=current_user)
            elif action == "withdraw":
                raise certificate_service.CertificateError(
                    "Tick the box to confirm the withdrawal: it is final and cannot be undone.")
            else:
                abort(400)
        except certificate_service.CertificateError as error:
            form.reason.errors.append(str(error))
        else:
            flash(f"Certificate {certificate.public_code} is now {certificate.status}. The status list and the "
                  "public page show it at once; the co-op is told.", "success")
            return redirect(url_for("certificates.show", code=certificate.public_code))
    organisation = db.session().get(Organisation, certificate.organisation_id)
    return render_template("office/certificate.html", certificate=certificate, organisation=organisation, form=form)


@bp.route("/audit.csv")
@login_required
def audit_export():
    from qualitymark.services.audit import export_csv

    policy.authorise("admin.audit_export")
    return Response(export_csv(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit-trail.csv"'})
