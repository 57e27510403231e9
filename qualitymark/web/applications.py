"""The applicant's side: dashboard, starting, the self-assessment, submitting, rounds."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from qualitymark import db, policy
from qualitymark.agreements import agreement
from qualitymark.i18n import long_date
from qualitymark.models.accounts import Organisation
from qualitymark.models.applications import ApplicationRound
from qualitymark.models.rubrics import RubricVersion
from qualitymark.services import applications as service
from qualitymark.services import organisations as organisation_service
from qualitymark.services.rubrics import list_versions
from qualitymark.web.application_forms import (
    StartApplicationForm,
    SubmitApplicationForm,
    WithdrawForm,
    change_request_form,
    section_form,
)
from qualitymark.web.markdown import render_markdown

bp = Blueprint("applications", __name__)

NEXT_STEP = {
    "draft": _l("Complete the self-assessment and attach evidence, then submit."),
    "changes_requested": _l("Read the office's requests, make the changes and submit again."),
    "submitted": _l("Waiting for the certification office to assign peer assessors."),
    "in_review": _l("Peer assessors are reviewing your application."),
    "moderation": _l("The assessors' scores are being moderated."),
    "decision_pending": _l("Waiting for the certification decision."),
    "certified": _l("Certified."),
    "declined": _l("Not certified this time. You can appeal the decision."),
    "withdrawn": _l("Withdrawn."),
}


def _load(application_id: int, action: str = "application.view"):
    application = service.get(application_id)
    if application is None:
        abort(404)
    policy.authorise(action, application)
    return application


def _section_or_404(rubric, section_id: str):
    for index, section in enumerate(rubric.sections):
        if section.id == section_id:
            return index, section
    abort(404)


@bp.route("/dashboard")
@login_required
def dashboard():
    organisations = policy.organisations_of(current_user)
    rows = [(organisation, service.applications_of(organisation)) for organisation in organisations]
    from sqlmodel import select as _select

    from qualitymark.models.certificates import Certificate

    certificates = {c.application_id: c for c in db.session().exec(_select(Certificate).where(
        Certificate.organisation_id.in_([o.id for o in organisations] or [-1]))).all()}
    return render_template("applications/dashboard.html", rows=rows, next_step=NEXT_STEP,
                           certificates=certificates)


@bp.route("/coops/<slug>/apply", methods=["GET", "POST"])
@login_required
def start(slug: str):
    organisation = organisation_service.get_by_slug(slug)
    if organisation is None:
        abort(404)
    policy.authorise("application.start", organisation)
    versions = [version for version in list_versions() if not version.is_retired]
    form = StartApplicationForm()
    form.rubric_version.choices = {v.id: _("%(title)s %(version)s (in effect from %(date)s)", title=v.title,
                                             version=v.version, date=long_date(v.effective_date))
                                   for v in versions}
    current = agreement()
    if request.method == "GET":
        form.agreement_version.data = current.version
    if form.validate_on_submit():
        version = db.session().get(RubricVersion, form.rubric_version.data)
        if version is None or version not in versions:
            form.rubric_version.errors.append(_("Choose one of the versions listed."))
        else:
            try:
                application = service.start_application(
                    organisation, version, actor=current_user, agreement_version=form.agreement_version.data,
                    agreement_accepted=form.accept.data)
            except service.ApplicationError as error:
                form.accept.errors.append(str(error))
            else:
                flash(_("Your application is started. Work through the sections in any order; save as you go."),
                      "success")
                return redirect(url_for("applications.show", application_id=application.id))
    existing = [app for app in service.applications_of(organisation) if app.is_open]
    return render_template("applications/start.html", organisation=organisation, form=form, versions=versions,
                           agreement=current, agreement_html=render_markdown(current.text), existing=existing)


@bp.route("/applications/<int:application_id>")
@login_required
def show(application_id: int):
    application = _load(application_id)
    version, rubric = service.rubric_for(application)
    organisation = db.session().get(Organisation, application.organisation_id)
    requests = service.change_requests(application, application.current_round - 1) \
        if application.status == "changes_requested" else []
    from qualitymark.services import reviews

    decision = reviews.current_decision(application)
    conditions = []
    if decision is not None:
        from sqlmodel import select as _select

        from qualitymark.models.reviews import DecisionCondition

        conditions = db.session().exec(_select(DecisionCondition).where(
            DecisionCondition.decision_id == decision.id)).all()
    return render_template(
        "applications/show.html", application=application, organisation=organisation, version=version,
        rubric=rubric, progress=service.progress(application), rounds=service.rounds(application),
        next_step=NEXT_STEP.get(application.status, ""), requests=requests,
        can_edit=policy.can(current_user, "application.edit", application),
        can_withdraw=policy.can(current_user, "application.withdraw", application),
        can_request_changes=policy.can(current_user, "application.request_changes", application),
        evidence_count=len(service.evidence_items(application)),
        decision=decision, conditions=conditions,
        verdict=reviews.verdict_for(application) if decision else None,
        office=policy.can(current_user, "office.view"),
        assessor_names=_assessor_names(application),
        certificate=_certificate(application),
    )


def _assessor_names(application) -> list[str]:
    """Only when the scheme chose to name assessors to applicants (QUALITYMARK_SHOW_ASSESSOR_NAMES)."""
    from flask import current_app

    from qualitymark.services import reviews

    if not current_app.config["SETTINGS"].show_assessor_names:
        return []
    ids = reviews.assessor_ids(application)
    if not ids:
        return []
    from sqlmodel import select as _select

    from qualitymark.models.accounts import User

    return sorted(db.session().exec(_select(User.name).where(User.id.in_(ids))).all())


def _certificate(application):
    from qualitymark.services.certificates import certificate_for_application

    return certificate_for_application(application.id)


@bp.route("/applications/<int:application_id>/sections/<section_id>", methods=["GET", "POST"])
@login_required
def section(application_id: int, section_id: str):
    application = _load(application_id)
    version, rubric = service.rubric_for(application)
    index, section = _section_or_404(rubric, section_id)
    editable = policy.can(current_user, "application.edit", application)
    answers = service.responses(application)
    Form = section_form(rubric, section, g.lang)
    form = Form()
    conflicts = []
    if request.method == "POST":
        policy.authorise("application.edit", application)
        if form.validate_on_submit():
            submitted = {}
            for criterion in section.criteria:
                raw_level = form[f"level_{criterion.id}"].data
                try:
                    lock = int(form[f"lock_{criterion.id}"].data)
                except (TypeError, ValueError):
                    abort(400)
                submitted[criterion.id] = service.Answer(
                    level=int(raw_level) if raw_level not in (None, "", "None") else None,
                    narrative=(form[f"narrative_{criterion.id}"].data or "").replace("\r\n", "\n"),
                    lock_version=lock,
                )
            result = service.save_section(application, section, submitted, actor=current_user)
            if not result.conflicts:
                flash(_("Section %(section)s is saved.", section=section.id), "success")
                if form.save_and_next.data and index + 1 < len(rubric.sections):
                    return redirect(url_for("applications.section", application_id=application.id,
                                            section_id=rubric.sections[index + 1].id))
                return redirect(url_for("applications.section", application_id=application.id, section_id=section.id))
            conflicts = result.conflicts
            # The person keeps what they typed; the lock moves on to the version they have now seen,
            # so saving again (after choosing) is a deliberate overwrite.
            for conflict in conflicts:
                form[f"lock_{conflict.criterion_id}"].data = str(conflict.theirs.lock_version)
            if result.saved:
                flash(_("Saved %(criteria)s. The others need your attention.", criteria=", ".join(result.saved)), "info")
    else:
        for criterion in section.criteria:
            answer = answers.get(criterion.id)
            if answer is None:
                continue
            form[f"level_{criterion.id}"].data = "" if answer.level is None else str(answer.level)
            form[f"narrative_{criterion.id}"].data = answer.narrative
            form[f"lock_{criterion.id}"].data = str(answer.lock_version)
    linked = service.evidence_by_criterion(application)
    previous_section = rubric.sections[index - 1] if index > 0 else None
    next_section = rubric.sections[index + 1] if index + 1 < len(rubric.sections) else None
    requests = {}
    if application.current_round > 1:
        for change in service.change_requests(application, application.current_round - 1):
            requests.setdefault(change.criterion_id, []).append(change)
    return render_template(
        "applications/section.html", application=application, rubric=rubric, section=section, form=form,
        editable=editable, answers=answers, linked=linked, conflicts={c.criterion_id: c for c in conflicts},
        progress=service.progress(application), previous_section=previous_section, next_section=next_section,
        render_markdown=render_markdown, requests=requests, position=index + 1,
    )


@bp.route("/applications/<int:application_id>/submit", methods=["GET", "POST"])
@login_required
def submit(application_id: int):
    application = _load(application_id, "application.submit")
    _version, rubric = service.rubric_for(application)
    missing = service.completeness(application)
    form = SubmitApplicationForm()
    if form.validate_on_submit() and not missing:
        try:
            round_ = service.submit_application(application, actor=current_user)
        except service.ApplicationError as error:
            flash(str(error), "error")
        else:
            flash(_("Round %(number)s is submitted. The certification office has been told; "
                    "you can follow progress here.", number=round_.number), "success")
            return redirect(url_for("applications.show", application_id=application.id))
    return render_template("applications/submit.html", application=application, rubric=rubric,
                           missing=missing, form=form)


@bp.route("/applications/<int:application_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(application_id: int):
    application = _load(application_id, "application.withdraw")
    form = WithdrawForm()
    if form.validate_on_submit():
        service.withdraw_application(application, actor=current_user, reason=form.reason.data or "")
        flash(_("The application is withdrawn."), "success")
        return redirect(url_for("applications.show", application_id=application.id))
    return render_template("applications/withdraw.html", application=application, form=form)


def _round_or_404(application, number: int) -> ApplicationRound:
    for round_ in service.rounds(application):
        if round_.number == number:
            return round_
    abort(404)


@bp.route("/applications/<int:application_id>/rounds/<int:number>")
@login_required
def round_view(application_id: int, number: int):
    application = _load(application_id)
    _version, rubric = service.rubric_for(application)
    round_ = _round_or_404(application, number)
    if round_.snapshot is None:
        return redirect(url_for("applications.show", application_id=application.id))
    return render_template("applications/round.html", application=application, rubric=rubric, round=round_,
                           requests=service.change_requests(application, number), render_markdown=render_markdown)


@bp.route("/applications/<int:application_id>/changes")
@login_required
def compare(application_id: int):
    """What changed between two rounds (or between the last submitted round and now)."""
    application = _load(application_id)
    _version, rubric = service.rubric_for(application)
    submitted = [r for r in service.rounds(application) if r.snapshot is not None]
    if not submitted:
        flash(_("Nothing has been submitted yet, so there is nothing to compare."), "info")
        return redirect(url_for("applications.show", application_id=application.id))
    later_number = request.args.get("to", type=int)
    earlier_number = request.args.get("from", type=int) or submitted[-1].number
    earlier = _round_or_404(application, earlier_number)
    if earlier.snapshot is None:
        abort(404)
    if later_number:
        later_round = _round_or_404(application, later_number)
        later = later_round.snapshot or service.snapshot(application)
    else:
        later = service.snapshot(application)
        later_number = application.current_round
    titles = {criterion.id: criterion.title for criterion in rubric.criteria()}
    return render_template("applications/compare.html", application=application, rubric=rubric,
                           changes=service.compare_rounds(earlier.snapshot, later), titles=titles,
                           earlier=earlier_number, later=later_number, render_markdown=render_markdown)


@bp.route("/office/applications/<int:application_id>/request-changes", methods=["GET", "POST"])
@login_required
def request_changes(application_id: int):
    application = _load(application_id, "application.request_changes")
    _version, rubric = service.rubric_for(application)
    form = change_request_form(rubric, g.lang)()
    if form.validate_on_submit():
        requests = {None: form.overall.data or ""}
        for criterion in rubric.criteria():
            requests[criterion.id] = form[f"request_{criterion.id}"].data or ""
        try:
            if application.status == "moderation":
                from qualitymark.services.reviews import request_changes_in_moderation

                request_changes_in_moderation(application, requests, actor=current_user)
            else:
                service.request_changes(application, requests, actor=current_user)
        except service.ApplicationError as error:
            form.overall.errors.append(str(error))
        else:
            flash(_("The requests are sent. The co-op can now edit a new round."), "success")
            return redirect(url_for("applications.show", application_id=application.id))
    return render_template("applications/request_changes.html", application=application, rubric=rubric, form=form)


@bp.route("/applications/<int:application_id>/history")
@login_required
def history(application_id: int):
    """Everything that happened to the application, from the audit trail."""
    from sqlmodel import select as _select

    from qualitymark.models.accounts import User
    from qualitymark.services import audit

    application = _load(application_id)
    events = audit.history("application", application.id)
    names = dict(db.session().exec(_select(User.id, User.name).where(
        User.id.in_({e.actor_id for e in events if e.actor_id} or {-1}))).all())
    # Assessors' names stay hidden from the co-op unless the scheme names them.
    from flask import current_app

    hide = not policy.can(current_user, "office.view") and not current_app.config["SETTINGS"].show_assessor_names
    from qualitymark.services.reviews import assessor_ids

    hidden = assessor_ids(application) if hide else set()
    return render_template("applications/history.html", application=application, events=events,
                           names=names, hidden=hidden)
