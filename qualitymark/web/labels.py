"""Words for stored codes (an application's status), in the reader's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

APPLICATION_STATUS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "in_review": _l("In review"),
    "moderation": _l("Moderation"),
    "decision_pending": _l("Decision pending"),
    "changes_requested": _l("Changes requested"),
    "certified": _l("Certified"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
}


def application_status(status: str) -> str:
    """'in_review' -> 'In review' (or its Welsh); an unknown code is shown as it is stored."""
    label = APPLICATION_STATUS.get(status)
    return str(label) if label is not None else status.replace("_", " ").capitalize()
