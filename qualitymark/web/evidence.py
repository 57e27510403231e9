"""Uploading, listing and downloading evidence."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from qualitymark import policy
from qualitymark.filetypes import Detected, download_name
from qualitymark.i18n import choices as lazy_choices
from qualitymark.i18n import long_date
from qualitymark.services import applications as application_service
from qualitymark.services import evidence as service
from qualitymark.services.organisations import STAKEHOLDER_LABELS

bp = Blueprint("evidence", __name__)


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UploadForm(FlaskForm):
    file = FileField(_l("Choose a file"), validators=[FileRequired(message=_l("Choose a file to upload."))],
                     description=_l("PDF, photos (JPEG, PNG), office documents (Word, Excel, PowerPoint, OpenDocument) or CSV."))
    description = TextAreaField(_l("What is this file?"), validators=[
        DataRequired(message=_l("Say in a sentence what the file is, so assessors know what they are looking at.")),
        Length(max=2000)])
    evidence_type = SelectField(_l("Kind of evidence"), choices=lazy_choices(service.EVIDENCE_TYPE_LABELS))
    stakeholder_kind = SelectField(_l("Whose voice does it carry?"), validators=[Optional()],
                                   choices=lazy_choices({"": _l("Not about one group")} | STAKEHOLDER_LABELS))
    criteria = CheckboxList(_l("Which criteria does it support?"), choices={})
    submit = SubmitField(_l("Upload"))


class LinksForm(FlaskForm):
    criteria = CheckboxList(_l("Criteria this file supports"), choices={})
    submit = SubmitField(_l("Save the links"))


def _load(application_id: int, action: str):
    application = application_service.get(application_id)
    if application is None:
        abort(404)
    policy.authorise(action, application)
    return application


def _criteria_choices(application):
    _version, rubric = application_service.rubric_for(application)
    from qualitymark.rubrics import text

    return {c.id: f"{c.id} {text(c.title, g.lang)}" for c in rubric.criteria()}


@bp.route("/applications/<int:application_id>/evidence", methods=["GET", "POST"])
@login_required
def index(application_id: int):
    application = _load(application_id, "application.view")
    editable = policy.can(current_user, "application.edit", application)
    form = UploadForm()
    form.criteria.choices = _criteria_choices(application)
    if request.method == "GET" and request.args.get("criterion"):
        form.criteria.data = [request.args["criterion"]]
    if request.method == "POST":
        policy.authorise("application.edit", application)
        if form.validate_on_submit():
            upload = form.file.data
            details = service.EvidenceDetails(
                description=form.description.data, evidence_type=form.evidence_type.data,
                criteria=form.criteria.data or [], stakeholder_kind=form.stakeholder_kind.data or None)
            try:
                item = service.add_evidence(application, upload.stream, upload.filename or "", details,
                                            actor=current_user)
            except service.DuplicateEvidence as duplicate:
                flash(str(duplicate), "info")
                return redirect(url_for("evidence.index", application_id=application.id))
            except application_service.ApplicationError as error:
                form.file.errors.append(str(error))
            else:
                note = ""
                detected_name = download_name(upload.filename, _detected(item))
                if detected_name != item.original_name:
                    note = " " + _("It is really a %(type)s file, so it will download as “%(name)s”.",
                                   type=item.mime_type.split(";")[0], name=detected_name)
                flash(_("“%(name)s” is uploaded.", name=item.original_name) + note, "success")
                return redirect(url_for("evidence.index", application_id=application.id))
    items = application_service.evidence_items(application)
    links = {item.id: application_service.criteria_of_evidence(item) for item in items}
    return render_template("evidence/index.html", application=application, form=form, items=items, links=links,
                           editable=editable, type_labels=service.EVIDENCE_TYPE_LABELS,
                           stakeholder_labels=STAKEHOLDER_LABELS)


def _detected(item) -> Detected:
    from qualitymark.filetypes import KINDS

    mime = item.mime_type.split(";")[0]
    kind = next((k for k in KINDS.values() if k.mime_type == mime), None)
    return Detected(kind.key, kind.mime_type, kind.label, kind.extension) if kind else \
        Detected("text", "text/plain", "file", ".bin")


@bp.route("/applications/<int:application_id>/evidence/<int:evidence_id>/download")
@login_required
def download(application_id: int, evidence_id: int):
    application = _load(application_id, "evidence.download")
    item = service.get_item(application, evidence_id)
    if item is None:
        abort(404)
    if item.file_deleted_at is not None:
        from werkzeug.exceptions import Gone

        error = Gone()
        error.qualitymark_message = _(
            "This file was deleted on %(date)s because the retention period after the decision ended. Its "
            "fingerprint (SHA-256 %(sha256)s) is kept as a record of what was seen.",
            date=long_date(item.file_deleted_at), sha256=item.sha256)
        raise error
    path = service.store().path_for(item.storage_key)
    response = send_file(path, mimetype=item.mime_type, as_attachment=True,
                         download_name=download_name(item.original_name, _detected(item)),
                         conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/applications/<int:application_id>/evidence/<int:evidence_id>", methods=["GET", "POST"])
@login_required
def edit(application_id: int, evidence_id: int):
    application = _load(application_id, "application.edit")
    item = service.get_item(application, evidence_id)
    if item is None:
        abort(404)
    form = LinksForm()
    form.criteria.choices = _criteria_choices(application)
    if request.method == "GET":
        form.criteria.data = application_service.criteria_of_evidence(item)
    if form.validate_on_submit():
        service.update_links(application, item, form.criteria.data or [], actor=current_user)
        flash(_("The links are saved."), "success")
        return redirect(url_for("evidence.index", application_id=application.id))
    return render_template("evidence/edit.html", application=application, item=item, form=form)


@bp.route("/applications/<int:application_id>/evidence/<int:evidence_id>/remove", methods=["POST"])
@login_required
def remove(application_id: int, evidence_id: int):
    application = _load(application_id, "application.edit")
    item = service.get_item(application, evidence_id)
    if item is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        service.remove_evidence(application, item, actor=current_user)
    except application_service.ApplicationError as error:
        flash(str(error), "error")
    else:
        flash(_("“%(name)s” is removed.", name=item.original_name), "success")
    return redirect(url_for("evidence.index", application_id=application.id))
