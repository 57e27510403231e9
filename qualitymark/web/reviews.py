"""The assessor's side: the queue, answering invitations, scoring."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import BooleanField, RadioField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from qualitymark import db, policy
from qualitymark.clock import utcnow
from qualitymark.i18n import current_language
from qualitymark.models.accounts import Organisation, User
from qualitymark.models.applications import Application
from qualitymark.models.reviews import Assignment
from qualitymark.rubrics import text
from qualitymark.services import applications as application_service
from qualitymark.services import reviews as service
from qualitymark.web.markdown import render_markdown

bp = Blueprint("reviews", __name__)

DUE_SOON_DAYS = 7


class RespondForm(FlaskForm):
    no_conflict = BooleanField(_l("I declare that I have no conflict of interest with this co-op: I have not worked "
                                  "for it, advised it, been a member of it, or had any other tie that could affect "
                                  "my judgement"))
    conflict_reason = TextAreaField(_l("Or describe the conflict of interest you have"), validators=[Length(max=2000)])
    decline_reason = TextAreaField(_l("Or say why you are declining"), validators=[Length(max=2000)])
    accept = SubmitField(_l("Accept the review"))
    declare = SubmitField(_l("Declare the conflict and withdraw"))
    decline = SubmitField(_l("Decline"))


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def score_form(rubric, evidence_choices):
    class ScoreForm(FlaskForm):
        save = SubmitField(_l("Save the draft"))
        submit_review = SubmitField(_l("Submit the review"))

    lang = current_language()
    levels = {str(level.level): f"{level.level} – {text(level.name, lang)}" for level in rubric.scale}
    for criterion in rubric.criteria():
        setattr(ScoreForm, f"level_{criterion.id}", RadioField(
            _("%(criterion)s: level", criterion=criterion.id), choices={"": _("Not scored yet")} | levels, default="",
            validators=[Optional()]))
        setattr(ScoreForm, f"rationale_{criterion.id}", TextAreaField(
            _("%(criterion)s: rationale", criterion=criterion.id), validators=[Length(max=10_000)],
            description=_("Why this level: what in the self-assessment and the evidence supports it. Required.")))
        setattr(ScoreForm, f"evidence_{criterion.id}", CheckboxList(
            _("%(criterion)s: evidence you relied on", criterion=criterion.id), choices=evidence_choices))
    return ScoreForm


BUCKET_NAMES = {"invited": _l("Invited"), "overdue": _l("Overdue"), "due soon": _l("Due soon"),
                "in progress": _l("In progress"), "done": _l("Done")}
STATUS_WORDS = {"invited": _l("Invited"), "accepted": _l("Accepted"), "submitted": _l("Submitted"),
                "declined": _l("Declined"), "withdrawn": _l("Withdrawn")}


def _queue_bucket(assignment: Assignment, today) -> str:
    if assignment.status == "invited":
        return "invited"
    if assignment.status in ("submitted", "declined", "withdrawn"):
        return "done"
    if assignment.due_date < today:
        return "overdue"
    if (assignment.due_date - today).days <= DUE_SOON_DAYS:
        return "due soon"
    return "in progress"


@bp.route("/reviews")
@login_required
def queue():
    policy.authorise("review.queue")
    today = utcnow().date()
    rows = db.session().exec(
        select(Assignment, Application, Organisation)
        .join(Application, Application.id == Assignment.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Assignment.assessor_id == current_user.id)
        .order_by(Assignment.due_date, Assignment.id)
    ).all()
    buckets = {name: [] for name in ("invited", "overdue", "due soon", "in progress", "done")}
    for assignment, application, organisation in rows:
        buckets[_queue_bucket(assignment, today)].append((assignment, application, organisation))
    return render_template("reviews/queue.html", buckets=buckets, today=today, bucket_names=BUCKET_NAMES,
                           status_words=STATUS_WORDS)


def _load(assignment_id: int) -> tuple[Assignment, Application]:
    assignment = db.session().get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    policy.authorise("review.work", assignment)
    return assignment, db.session().get(Application, assignment.application_id)


@bp.route("/reviews/<int:assignment_id>", methods=["GET", "POST"])
@login_required
def respond(assignment_id: int):
    assignment, application = _load(assignment_id)
    if assignment.status != "invited":
        return redirect(url_for("reviews.score", assignment_id=assignment.id))
    organisation = db.session().get(Organisation, application.organisation_id)
    form = RespondForm()
    if form.validate_on_submit():
        try:
            if form.declare.data:
                if not (form.conflict_reason.data or "").strip():
                    raise service.ReviewError(_("Describe the conflict of interest."))
                service.respond(assignment, actor=current_user, accept=False, conflict_reason=form.conflict_reason.data)
                flash(_("Thank you for declaring it. You are withdrawn from this review."), "success")
            elif form.decline.data:
                service.respond(assignment, actor=current_user, accept=False, decline_reason=form.decline_reason.data or "")
                flash(_("You have declined the review."), "success")
            else:
                service.respond(assignment, actor=current_user, accept=True, no_conflict=form.no_conflict.data)
                flash(_("You have accepted the review."), "success")
                return redirect(url_for("reviews.score", assignment_id=assignment.id))
            return redirect(url_for("reviews.queue"))
        except service.ReviewError as error:
            target = form.conflict_reason if form.declare.data else form.decline_reason if form.decline.data \
                else form.no_conflict
            target.errors.append(str(error))
    return render_template("reviews/respond.html", assignment=assignment, application=application,
                           organisation=organisation, form=form)


@bp.route("/reviews/<int:assignment_id>/score", methods=["GET", "POST"])
@login_required
def score(assignment_id: int):
    assignment, application = _load(assignment_id)
    if assignment.status not in ("accepted", "submitted"):
        abort(404)
    _version, rubric = application_service.rubric_for(application)
    items = application_service.evidence_items(application)
    Form = score_form(rubric, {str(item.id): item.original_name for item in items})
    form = Form()
    existing = service.scores_of(assignment)
    editable = assignment.status == "accepted"
    if request.method == "POST":
        if not editable:
            abort(403)
        if form.validate_on_submit():
            inputs = {}
            for criterion in rubric.criteria():
                raw = form[f"level_{criterion.id}"].data
                inputs[criterion.id] = service.ScoreInput(
                    level=int(raw) if raw not in (None, "", "None") else None,
                    rationale=form[f"rationale_{criterion.id}"].data or "",
                    evidence_ids=[int(value) for value in form[f"evidence_{criterion.id}"].data or []])
            try:
                service.save_scores(assignment, inputs, actor=current_user)
                if form.submit_review.data:
                    service.submit_review(assignment, actor=current_user)
                    flash(_("Your review is submitted. You can now see the other assessors' scores."), "success")
                else:
                    flash(_("Your draft is saved."), "success")
                return redirect(url_for("reviews.score", assignment_id=assignment.id))
            except service.ReviewError as error:
                flash(str(error), "error")
    else:
        for criterion_id, row in existing.items():
            form[f"level_{criterion_id}"].data = "" if row.level is None else str(row.level)
            form[f"rationale_{criterion_id}"].data = row.rationale
            form[f"evidence_{criterion_id}"].data = [str(i) for i in row.evidence_ids]
    others = {}
    if service.may_see_other_scores(assignment):
        for criterion_id, pairs in service.submitted_scores(application, assignment.round_number).items():
            others[criterion_id] = [(a, s) for a, s in pairs if a.id != assignment.id]
    names = {u.id: u.name for u in db.session().exec(select(User).where(
        User.id.in_([a.assessor_id for pairs in others.values() for a, _s in pairs] or [-1]))).all()}
    answers = application_service.responses(application, assignment.round_number)
    linked = application_service.evidence_by_criterion(application)
    changes = None
    if assignment.round_number > 1:
        rounds = {r.number: r for r in application_service.rounds(application)}
        earlier = rounds.get(assignment.round_number - 1)
        later = rounds.get(assignment.round_number)
        if earlier and earlier.snapshot and later and later.snapshot:
            changes = {c.criterion_id: c for c in application_service.compare_rounds(earlier.snapshot, later.snapshot)}
    organisation = db.session().get(Organisation, application.organisation_id)
    return render_template("reviews/score.html", assignment=assignment, application=application, rubric=rubric,
                           organisation=organisation, form=form, editable=editable, answers=answers,
                           linked=linked, others=others, names=names, render_markdown=render_markdown,
                           changes=changes, missing=service.missing_scores(assignment, rubric) if editable else [])
