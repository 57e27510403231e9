"""Evidence files: stored outside the web root under random keys, recognised by their SHA-256,
shown only to those who may read the application."""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from qualitymark import db
from qualitymark.models.accounts import STAKEHOLDER_KINDS, User
from qualitymark.models.applications import EVIDENCE_TYPES, Application, EvidenceCriterion, EvidenceItem
from qualitymark.services import audit
from qualitymark.services.applications import ApplicationError, _require_editable, rubric_for
from qualitymark.storage import DirectoryStore, TooLarge, UploadError
from qualitymark.filetypes import sanitise_filename

EVIDENCE_TYPE_LABELS = {  # translated when shown
    "policy": _l("Policy or procedure"), "minutes": _l("Minutes of a meeting"), "register": _l("Register or list"),
    "survey": _l("Survey results"), "feedback": _l("Feedback or complaints log"),
    "accounts": _l("Accounts or financial report"), "report": _l("Report (e.g. inspection)"),
    "plan": _l("Plan or strategy"), "photo": _l("Photo"), "testimony": _l("Testimony or story"),
    "training": _l("Training record"), "other": _l("Something else"),
}


def store() -> DirectoryStore:
    return DirectoryStore(current_app.config["SETTINGS"].evidence_dir)


class DuplicateEvidence(ApplicationError):
    def __init__(self, existing: EvidenceItem):
        from qualitymark.i18n import long_date

        super().__init__(_(
            "This file is already uploaded, as “%(name)s” (%(date)s). The criteria you ticked are now "
            "linked to it too.", name=existing.original_name, date=long_date(existing.uploaded_at)))
        self.existing = existing


@dataclass
class EvidenceDetails:
    description: str
    evidence_type: str
    criteria: list[str]
    stakeholder_kind: str | None


def _check_details(application: Application, details: EvidenceDetails) -> None:
    if details.evidence_type not in EVIDENCE_TYPES:
        raise ApplicationError(_("Choose what kind of evidence this is."))
    if details.stakeholder_kind and details.stakeholder_kind not in STAKEHOLDER_KINDS:
        raise ApplicationError(_("Choose whose voice this evidence carries from the list."))
    _version, rubric = rubric_for(application)
    known = {criterion.id for criterion in rubric.criteria()}
    unknown = [cid for cid in details.criteria if cid not in known]
    if unknown:
        raise ApplicationError(_("Criterion %(criterion)s is not in this application's rubric.", criterion=unknown[0]))


def _size(n: int) -> str:
    """25 MB, 512 KB: the number in the reader's language, the units as everyone writes them."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= factor:
            return f"{format_decimal(n / factor, format='#,##0.#')} {unit}"
    return f"{format_decimal(n)} B"


def add_evidence(application: Application, stream: BinaryIO, original_name: str, details: EvidenceDetails,
                 *, actor: User) -> EvidenceItem:
    _require_editable(application)
    _check_details(application, details)
    files = store()
    try:
        stored = files.save(stream, max_bytes=current_app.config["SETTINGS"].max_upload_bytes,
                            original_name=original_name)
    except TooLarge as error:
        # The store knows nothing of languages: the words are chosen here, in the uploader's.
        raise ApplicationError(_(
            "The file is larger than our limit of %(size)s. If it is a scan or a photo, save it at a lower "
            "resolution or split it into parts, then upload again.", size=_size(error.limit))) from None
    except UploadError as error:
        raise ApplicationError(error.message) from None
    session = db.session()
    existing = session.exec(select(EvidenceItem).where(
        EvidenceItem.application_id == application.id, EvidenceItem.sha256 == stored.sha256)).first()
    if existing is not None:
        files.delete(stored.key)
        _link(existing, details.criteria)
        audit.record("evidence.relinked", "application", application.id, actor_id=actor.id,
                     changes={"evidence_id": existing.id, "criteria": details.criteria})
        raise DuplicateEvidence(existing)
    item = EvidenceItem(
        application_id=application.id, storage_key=stored.key, sha256=stored.sha256, size_bytes=stored.size,
        mime_type=stored.detected.content_type, original_name=sanitise_filename(original_name),
        description=details.description.strip(), evidence_type=details.evidence_type,
        stakeholder_kind=details.stakeholder_kind or None, round_added=application.current_round,
        uploaded_by_id=actor.id,
    )
    session.add(item)
    session.flush()
    _link(item, details.criteria)
    audit.record("evidence.added", "application", application.id, actor_id=actor.id,
                 changes={"evidence_id": item.id, "sha256": item.sha256, "name": item.original_name,
                          "kind": stored.detected.kind, "criteria": sorted(details.criteria)})
    return item


def _link(item: EvidenceItem, criteria: list[str]) -> None:
    session = db.session()
    linked = set(session.exec(select(EvidenceCriterion.criterion_id).where(
        EvidenceCriterion.evidence_id == item.id)).all())
    for criterion_id in sorted(set(criteria) - linked):
        session.add(EvidenceCriterion(evidence_id=item.id, criterion_id=criterion_id))
    session.flush()


def update_links(application: Application, item: EvidenceItem, criteria: list[str], *, actor: User) -> None:
    _require_editable(application)
    _check_details(application, EvidenceDetails("", item.evidence_type, criteria, None))
    session = db.session()
    for link in session.exec(select(EvidenceCriterion).where(EvidenceCriterion.evidence_id == item.id)).all():
        if link.criterion_id not in criteria:
            session.delete(link)
    session.flush()
    _link(item, criteria)
    audit.record("evidence.links_changed", "application", application.id, actor_id=actor.id,
                 changes={"evidence_id": item.id, "criteria": sorted(criteria)})


def remove_evidence(application: Application, item: EvidenceItem, *, actor: User) -> None:
    """Only evidence added in the round being edited can be removed: earlier rounds' evidence is
    part of what was submitted and stays on record (it can be unlinked instead)."""
    _require_editable(application)
    if item.round_added != application.current_round:
        raise ApplicationError(_(
            "This file was part of an earlier, submitted round, so it stays on record. "
            "You can untick all its criteria instead."))
    session = db.session()
    for link in session.exec(select(EvidenceCriterion).where(EvidenceCriterion.evidence_id == item.id)).all():
        session.delete(link)
    session.delete(item)
    session.flush()
    audit.record("evidence.removed", "application", application.id, actor_id=actor.id,
                 changes={"evidence_id": item.id, "sha256": item.sha256, "name": item.original_name})
    if item.reused_from_id is not None:
        return  # a renewal's reference to an earlier upload: that upload keeps its file
    # The file goes only once the database agrees: after the commit, via a job.
    from qualitymark.jobs import enqueue

    enqueue("delete_evidence_file", storage_key=item.storage_key)


def get_item(application: Application, evidence_id: int) -> EvidenceItem | None:
    item = db.session().get(EvidenceItem, evidence_id)
    # An id from another application is treated as unknown: no hint that it exists.
    if item is None or item.application_id != application.id:
        return None
    return item
