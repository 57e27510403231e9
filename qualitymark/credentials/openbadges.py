"""The certificate as a W3C VC 2.0 + 1EdTech Open Badges 3.0 OpenBadgeCredential (unsigned)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from qualitymark.credentials.documentloader import OPEN_BADGES_V3, VC_V2
from qualitymark.credentials.timestamps import format_datetime

# From the Open Badges 3.0 AchievementType vocabulary: a mark awarded after assessment
# against published criteria, for a fixed period.
CERTIFICATION = "Certification"


def build_open_badge_credential(
    *,
    credential_id: str,
    name: str,
    issuer_did: str,
    issuer_name: str,
    issuer_url: str,
    subject_id: str,
    subject_name: str,
    achievement_id: str,
    achievement_name: str,
    achievement_description: str,
    criteria_url: str,
    level: str,
    valid_from: datetime,
    valid_until: datetime | None,
    credential_status: Sequence[dict] = (),
    criteria_narrative: str | None = None,
    achievement_type: str | None = CERTIFICATION,
) -> dict:
    """An unsigned OpenBadgeCredential for one co-op's Care Quality Mark.

    - `subject_id`: the co-op's page in the public register; `subject_name`: the co-op's name.
    - `achievement_*`: the mark at one level ("Care Quality Mark — Excellent"); each level is its
      own Achievement with its own id. `level` is also stated as the achievement's first tag,
      the Open Badges term for a free-text keyword.
    - `criteria_url`: the published rubric version the co-op was assessed against.
    - `credential_status`: entries from `status_list.status_entry` (revocation, suspension).

    Every value is a string: no numbers, so no float can creep into what is signed.
    """
    text_fields = {
        "credential_id": credential_id, "name": name, "issuer_did": issuer_did, "issuer_name": issuer_name,
        "issuer_url": issuer_url, "subject_id": subject_id, "subject_name": subject_name,
        "achievement_id": achievement_id, "achievement_name": achievement_name,
        "achievement_description": achievement_description, "criteria_url": criteria_url, "level": level,
    }
    for field, value in text_fields.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{field} must be a non-empty string, got {value!r}")

    criteria = {"id": criteria_url}
    if criteria_narrative:
        criteria["narrative"] = criteria_narrative
    achievement = {
        "id": achievement_id,
        "type": ["Achievement"],
        "name": achievement_name,
        "description": achievement_description,
        "criteria": criteria,
        "tag": [level],
    }
    if achievement_type:
        achievement["achievementType"] = achievement_type

    credential = {
        "@context": [VC_V2, OPEN_BADGES_V3],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "issuer": {"id": issuer_did, "type": ["Profile"], "name": issuer_name, "url": issuer_url},
        "validFrom": format_datetime(valid_from),
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            "name": subject_name,
            "achievement": achievement,
        },
    }
    if valid_until is not None:
        if valid_until <= valid_from:
            raise ValueError(f"valid_until ({valid_until}) must be after valid_from ({valid_from})")
        credential["validUntil"] = format_datetime(valid_until)
    if credential_status:
        credential["credentialStatus"] = [dict(entry) for entry in credential_status]
    return credential
