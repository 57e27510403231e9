"""Co-op profiles, their member classes and votes, and their people."""
from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import current_app, render_template, url_for
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.mail import send_mail
from qualitymark.models.accounts import (
    STAKEHOLDER_KINDS,
    Consortium,
    ConsortiumMembership,
    Invitation,
    Membership,
    Organisation,
    StakeholderClass,
    User,
)
from qualitymark.services import audit

INVITATION_DAYS = 14
USER_LED_THRESHOLD_BASIS_POINTS = 5100

# Shown on pages: translated when shown (lazy), in the reader's language.
STAKEHOLDER_LABELS = {
    "people_using_services": _l("People using services"),
    "workers": _l("Workers"),
    "volunteers": _l("Volunteers"),
    "family_members": _l("Family members and carers"),
    "supporters": _l("Supporters"),
    "investors": _l("Investors"),
}
COOP_TYPE_LABELS = {
    "worker": _l("Worker co-op"),
    "consumer": _l("Consumer co-op"),
    "multi_stakeholder": _l("Multi-stakeholder co-op"),
    "user_led": _l("User-led co-op"),
    "social": _l("Social co-operative"),
}


class OrganisationError(ValueError):
    """Something a person can fix; the message says what."""


def get_by_slug(slug: str) -> Organisation | None:
    return db.session().exec(select(Organisation).where(Organisation.slug == slug)).first()


def _slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or "co-op"
    candidate, number = slug, 2
    while get_by_slug(candidate) is not None:
        candidate, number = f"{slug}-{number}", number + 1
    return candidate


@dataclass
class Profile:
    name: str
    legal_form: str
    registered_number: str
    region: str
    coop_type: str
    services: str
    consortia: list[str]
    # kind -> (member count, voting share in percent as a Decimal)
    stakeholders: dict[str, tuple[int, Decimal]]


def _validate(profile: Profile) -> None:
    if profile.coop_type not in COOP_TYPE_LABELS:
        raise OrganisationError(_("Choose the kind of co-op."))
    unknown = set(profile.stakeholders) - set(STAKEHOLDER_KINDS)
    if unknown:
        raise OrganisationError(_("Unknown member class: %(kind)s.", kind=sorted(unknown)[0]))
    total = sum(share for _count, share in profile.stakeholders.values())
    if total > 100:
        raise OrganisationError(_("The voting shares add up to %(total)s%%; they can add up to 100%% at most.",
                                  total=format_decimal(total)))


def create_organisation(profile: Profile, *, owner: User) -> Organisation:
    _validate(profile)
    organisation = Organisation(slug=_slugify(profile.name), name=profile.name.strip())
    session = db.session()
    session.add(organisation)
    _apply(organisation, profile)
    session.flush()
    session.add(Membership(user_id=owner.id, organisation_id=organisation.id, role="owner"))
    session.flush()
    session.refresh(owner, ["memberships"])
    audit.record("organisation.created", "organisation", organisation.id, actor_id=owner.id,
                 changes={"name": organisation.name})
    return organisation


def update_organisation(organisation: Organisation, profile: Profile, *, actor: User) -> None:
    _validate(profile)
    before = describe(organisation)
    _apply(organisation, profile)
    organisation.updated_at = utcnow()
    db.session().flush()
    after = describe(organisation)
    changed = {key: {"before": before[key], "after": after[key]} for key in after if before.get(key) != after[key]}
    audit.record("organisation.updated", "organisation", organisation.id, actor_id=actor.id, changes=changed)


def _apply(organisation: Organisation, profile: Profile) -> None:
    session = db.session()
    organisation.name = profile.name.strip()
    organisation.legal_form = profile.legal_form.strip()
    organisation.registered_number = profile.registered_number.strip()
    organisation.region = profile.region.strip()
    organisation.coop_type = profile.coop_type
    organisation.services = "\n".join(line.strip() for line in profile.services.splitlines() if line.strip())
    session.flush()
    existing = {row.kind: row for row in stakeholder_classes(organisation)}
    for kind in STAKEHOLDER_KINDS:
        count, share = profile.stakeholders.get(kind, (0, Decimal(0)))
        basis_points = int((Decimal(share) * 100).to_integral_value())
        row = existing.get(kind)
        if count == 0 and basis_points == 0:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = StakeholderClass(organisation_id=organisation.id, kind=kind)
            session.add(row)
        row.member_count = count
        row.voting_share_basis_points = basis_points
    wanted = {name.strip() for name in profile.consortia if name.strip()}
    current = {consortium.name: link for consortium, link in consortia_of(organisation)}
    for name, link in current.items():
        if name not in wanted:
            session.delete(link)
    for name in wanted - set(current):
        consortium = session.exec(select(Consortium).where(Consortium.name == name)).first()
        if consortium is None:
            consortium = Consortium(name=name)
            session.add(consortium)
            session.flush()
        session.add(ConsortiumMembership(organisation_id=organisation.id, consortium_id=consortium.id))
    session.flush()


def stakeholder_classes(organisation: Organisation) -> list[StakeholderClass]:
    rows = db.session().exec(
        select(StakeholderClass).where(StakeholderClass.organisation_id == organisation.id)
    ).all()
    order = {kind: index for index, kind in enumerate(STAKEHOLDER_KINDS)}
    return sorted(rows, key=lambda row: order[row.kind])


def consortia_of(organisation: Organisation) -> list[tuple[Consortium, ConsortiumMembership]]:
    return list(db.session().exec(
        select(Consortium, ConsortiumMembership)
        .join(ConsortiumMembership, ConsortiumMembership.consortium_id == Consortium.id)
        .where(ConsortiumMembership.organisation_id == organisation.id)
        .order_by(Consortium.name)
    ).all())


def describe(organisation: Organisation) -> dict:
    return {
        "name": organisation.name, "legal_form": organisation.legal_form,
        "registered_number": organisation.registered_number, "region": organisation.region,
        "coop_type": organisation.coop_type, "services": organisation.services,
        "stakeholders": {row.kind: [row.member_count, row.voting_share_basis_points]
                         for row in stakeholder_classes(organisation)},
        "consortia": sorted(consortium.name for consortium, _link in consortia_of(organisation)),
    }


@dataclass
class UserLedCheck:
    applies: bool
    share_basis_points: int
    met: bool

    @property
    def share_percent(self) -> str:
        return f"{Decimal(self.share_basis_points) / 100:.2f}".rstrip("0").rstrip(".")


def user_led_check(organisation: Organisation) -> UserLedCheck:
    """For a co-op that calls itself user-led: do people using services hold at least 51% of votes?"""
    share = sum(row.voting_share_basis_points for row in stakeholder_classes(organisation)
                if row.kind == "people_using_services")
    return UserLedCheck(
        applies=organisation.coop_type == "user_led",
        share_basis_points=share,
        met=share >= USER_LED_THRESHOLD_BASIS_POINTS,
    )


# --- people -------------------------------------------------------------------------------------

def members(organisation: Organisation) -> list[tuple[Membership, User]]:
    return list(db.session().exec(
        select(Membership, User).join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == organisation.id).order_by(User.name)
    ).all())


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_member(organisation: Organisation, email: str, role: str, *, inviter: User) -> Invitation:
    from qualitymark.i18n import current_language
    from qualitymark.services.accounts import find_user, normalise_email

    email = normalise_email(email)
    if role not in ("owner", "member"):
        raise OrganisationError(_("Choose owner or member."))
    for membership, user in members(organisation):
        if user.email == email:
            raise OrganisationError(_("%(email)s is already a member of %(coop)s.", email=email, coop=organisation.name))
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organisation_id=organisation.id, email=email, role=role, token_hash=_hash_token(token),
        invited_by_id=inviter.id, expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
    )
    db.session().add(invitation)
    db.session().flush()
    # The invitation row holds the address; the audit trail (kept for ever) names the row, not the person.
    audit.record("organisation.member_invited", "organisation", organisation.id, actor_id=inviter.id,
                 changes={"invitation_id": invitation.id, "role": role})
    link = current_app.config["BASE_URL"] + url_for("organisations.accept_invitation", token=token)
    # Someone who already has an account chose a language, and every other email we send them is in
    # it. Someone without one has told us nothing; the inviter's page language is the best guess
    # (people in one co-op mostly work in the same language), better than always English.
    invitee = find_user(email)
    with force_locale(invitee.locale if invitee is not None and invitee.locale else current_language()):
        send_mail(
            email,
            _("You are invited to join %(coop)s on the Care Quality Mark", coop=organisation.name),
            render_template("emails/invitation.txt", inviter=inviter, organisation=organisation, role=role,
                            days=INVITATION_DAYS, link=link),
        )
    return invitation


def find_invitation(token: str) -> Invitation:
    invitation = db.session().exec(select(Invitation).where(Invitation.token_hash == _hash_token(token))).first()
    if invitation is None or invitation.revoked_at is not None:
        raise OrganisationError(_("This invitation link is not valid. Ask the co-op's owner to invite you again."))
    if invitation.accepted_at is not None:
        raise OrganisationError(_("This invitation has already been used."))
    if invitation.expires_at < utcnow():
        raise OrganisationError(_("This invitation has expired. Ask the co-op's owner to invite you again."))
    return invitation


def accept_invitation(token: str, user: User) -> Organisation:
    invitation = find_invitation(token)
    if invitation.email != user.email:
        raise OrganisationError(_(
            "This invitation was sent to a different email address. Sign in with the account for that "
            "address (or create one), then open the link again."))
    organisation = db.session().get(Organisation, invitation.organisation_id)
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    existing = db.session().exec(select(Membership).where(
        Membership.user_id == user.id, Membership.organisation_id == organisation.id)).first()
    if existing is None:
        db.session().add(Membership(user_id=user.id, organisation_id=organisation.id, role=invitation.role))
    db.session().flush()
    db.session().refresh(user, ["memberships"])
    audit.record("organisation.member_joined", "organisation", organisation.id, actor_id=user.id,
                 changes={"role": invitation.role})
    return organisation


def _owners(organisation: Organisation) -> list[Membership]:
    return [membership for membership, _user in members(organisation) if membership.role == "owner"]


def change_role(organisation: Organisation, membership: Membership, role: str, *, actor: User) -> None:
    if role not in ("owner", "member"):
        raise OrganisationError(_("Choose owner or member."))
    if membership.role == "owner" and role == "member" and len(_owners(organisation)) == 1:
        raise OrganisationError(_("A co-op needs at least one owner. Make someone else an owner first."))
    before = membership.role
    membership.role = role
    db.session().flush()
    audit.record("organisation.member_role_changed", "organisation", organisation.id, actor_id=actor.id,
                 changes={"user_id": membership.user_id, "before": before, "after": role})


def remove_member(organisation: Organisation, membership: Membership, *, actor: User) -> None:
    if membership.role == "owner" and len(_owners(organisation)) == 1:
        raise OrganisationError(_("A co-op needs at least one owner. Make someone else an owner first."))
    db.session().delete(membership)
    db.session().flush()
    action = "organisation.member_left" if membership.user_id == actor.id else "organisation.member_removed"
    audit.record(action, "organisation", organisation.id, actor_id=actor.id,
                 changes={"user_id": membership.user_id})
