"""Notifications: every event that asks someone to act is put in their in-app list and emailed,
in the recipient's language. The words live here (translatable, in the Welsh catalogue); a
notification row keeps only its kind and parameters, so the list reads in whichever language the
reader has chosen, and a key makes each one idempotent."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.i18n import long_date
from qualitymark.mail import send_mail
from qualitymark.models.accounts import Membership, Organisation, StaffRole, User
from qualitymark.models.lifecycle import NoticeSent, Notification


def N_(message: str) -> str:
    """Marks a message for the catalogue; it is translated when shown, in the reader's language."""
    return message


# kind -> (subject, text). Parameters ending in "_date" are ISO dates, formatted for the reader.
MESSAGES: dict[str, tuple[str, str]] = {
    "renewal_open": (
        N_("Time to renew your Care Quality Mark"),
        N_("The certificate of %(organisation)s (%(code)s) expires on %(expires_date)s. Its renewal is now "
           "open: start it early, so that it can be decided before then.")),
    "renewal_reminder": (
        N_("Reminder: your Care Quality Mark expires on %(expires_date)s"),
        N_("The certificate of %(organisation)s (%(code)s) expires on %(expires_date)s and no renewal has "
           "been submitted yet. Start or finish the renewal so that the mark does not lapse.")),
    "certificate_expired": (
        N_("Your Care Quality Mark has expired"),
        N_("The certificate of %(organisation)s (%(code)s) expired on %(expires_date)s. The register now shows "
           "it as expired. To hold the mark again, apply for it.")),
    "declaration_due": (
        N_("Your annual declaration is due by %(due_date)s"),
        N_("Once a year %(organisation)s confirms that nothing material has changed since it was certified, "
           "or tells us what did. Year %(year)s's declaration for certificate %(code)s is due by %(due_date)s.")),
    "declaration_overdue": (
        N_("Your annual declaration is overdue"),
        N_("We have not received %(organisation)s's declaration for year %(year)s of certificate %(code)s, "
           "which was due on %(due_date)s. Please make it now: without it the office may suspend the mark.")),
    "office_declaration_missing": (
        N_("Annual declaration missing: %(organisation)s"),
        N_("%(organisation)s has not made its year %(year)s declaration for certificate %(code)s, due on "
           "%(due_date)s, after reminders. Contact the co-op and decide whether to suspend the mark.")),
    "office_declaration_changes": (
        N_("Changes reported by %(organisation)s"),
        N_("%(organisation)s reported changes in its year %(year)s declaration for certificate %(code)s. "
           "Read them and record what they mean for the certificate.")),
    "condition_due": (
        N_("A condition of your Care Quality Mark is due on %(due_date)s"),
        N_("When it certified %(organisation)s, the certification office set a condition on certificate %(code)s, "
           "due on %(due_date)s: %(condition)s. Make sure it is met by then: the office will check it, and may "
           "suspend the mark if it is not.")),
    "office_condition_due": (
        N_("Condition due: %(organisation)s"),
        N_("A condition on certificate %(code)s of %(organisation)s was due on %(due_date)s: %(condition)s. "
           "Check whether it is met and record what follows.")),
    "office_renewal_submitted": (
        N_("Renewal submitted: %(organisation)s"),
        N_("%(organisation)s submitted the renewal of certificate %(code)s, which expires on %(expires_date)s. "
           "Assign assessors so it can be decided in time.")),
    "certificate_suspended": (
        N_("Your Care Quality Mark certificate is suspended"),
        N_("Certificate %(code)s of %(organisation)s is suspended. Reason: %(reason)s. You can appeal the "
           "suspension within %(days)s days, until %(until_date)s: an owner of the co-op can do it from the "
           "certificate's page.")),
    "certificate_reinstated": (
        N_("Your Care Quality Mark certificate is reinstated"),
        N_("Certificate %(code)s of %(organisation)s is valid again. Reason: %(reason)s.")),
    "certificate_withdrawn": (
        N_("Your Care Quality Mark certificate is withdrawn"),
        N_("Certificate %(code)s of %(organisation)s is withdrawn. Reason: %(reason)s. Withdrawal is final and "
           "cannot be appealed. If you think the certification office handled it wrongly, you can make a "
           "complaint.")),
    "decision_made": (
        N_("The decision on your Care Quality Mark application"),
        N_("The certification office has decided on %(organisation)s's application %(application)s. Read the "
           "decision and its reasons. If you disagree, you may appeal within %(days)s days.")),
    "changes_requested": (
        N_("Changes requested to your Care Quality Mark application"),
        N_("The certification office has asked %(organisation)s for changes to application %(application)s "
           "(%(count)s request(s)). See what was asked, change your answers or evidence, and submit again.")),
    "certificate_issued": (
        N_("Your Care Quality Mark certificate"),
        N_("%(organisation)s holds the %(award)s until %(expires_date)s. Anyone can check it with the code "
           "%(code)s. Each year we will ask you for a short declaration, and we will remind you before it expires.")),
    "review_invitation": (
        N_("You are invited to assess an application"),
        N_("You are invited to assess application %(application)s, due on %(due_date)s. Please accept or "
           "decline the invitation, and declare any conflict of interest, within 3 days.")),
    "review_invitation_reminder": (
        N_("Reminder: please answer your review invitation"),
        N_("You were invited %(days)s days ago to assess application %(application)s. Please accept or decline "
           "it in your review queue.")),
    "review_due_reminder": (
        N_("Reminder: your review is due in %(days)s days"),
        N_("Your review of application %(application)s is due on %(due_date)s.")),
    # The office's working messages, written in English where they arise.
    "office_message": (N_("%(subject)s"), N_("%(body)s")),
    "appeal_lodged": (
        N_("Appeal received from %(organisation)s"),
        N_("%(organisation)s appealed (%(subject)s). An officer who had no part in the case must decide it.")),
    "appeal_decided": (
        N_("Your appeal has been decided"),
        N_("The appeal of %(organisation)s was %(outcome)s. Read the reasons.")),
    "office_decision_after_appeal": (
        N_("New decision needed: %(organisation)s, application %(application)s"),
        N_("An appeal by %(organisation)s against the decision on application %(application)s was upheld. "
           "The application waits for a new decision, by an officer other than the one whose decision was "
           "appealed.")),
    "complaint_received": (
        N_("New complaint %(reference)s"),
        N_("A complaint was made about %(about)s. It needs an officer who had no part in that co-op's "
           "assessment or decision.")),
    "complaint_closed": (
        N_("Your complaint %(reference)s is closed"),
        N_("Your complaint %(reference)s has been looked into and closed. Outcome: %(outcome)s.")),
}


# Words for the values some messages carry, translated when shown.
WORDS: dict[str, str] = {
    "upheld": N_("upheld"), "partly_upheld": N_("partly upheld"), "not_upheld": N_("not upheld"),
    "dismissed": N_("dismissed"), "withdrawn": N_("withdrawn"),
    "decision": N_("against a certification decision"), "suspension": N_("against a suspension"),
    "the scheme": N_("the scheme"),
}


@dataclass(frozen=True)
class Shown:
    subject: str
    text: str


def _formatted(params: dict) -> dict:
    out = {}
    for name, value in params.items():
        if name.endswith("_date") and isinstance(value, str):
            out[name] = long_date(date.fromisoformat(value))  # "6 December 2027", "6 Rhagfyr 2027"
        elif name in ("outcome", "subject", "about") and value in WORDS:
            out[name] = gettext(WORDS[value])
        else:
            out[name] = value
    return out


def render(kind: str, params: dict) -> Shown:
    """The notification's words in the current request's (or forced) language."""
    subject, text = MESSAGES[kind]
    values = _formatted(params)
    return Shown(subject=gettext(subject, **values), text=gettext(text, **values))


def _params(params: dict) -> dict:
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in params.items()}


def notify(user: User, kind: str, *, key: str, link: str = "", email: bool = True, **params) -> Notification | None:
    """Put a notification in `user`'s list and email it in their language — once per (user, key)."""
    if kind not in MESSAGES:
        raise ValueError(f"unknown notification kind {kind!r}")
    session = db.session()
    if session.exec(select(Notification.id).where(Notification.user_id == user.id, Notification.key == key)).first():
        return None
    notification = Notification(user_id=user.id, kind=kind, params=_params(params), link=link, key=key)
    try:
        with session.begin_nested():
            session.add(notification)
            session.flush()
    except IntegrityError:
        return None  # a concurrent run sent it
    if email and user.is_active:
        _email(user, notification)
    return notification


def _email(user: User, notification: Notification) -> None:
    base = current_app.config["BASE_URL"]
    with force_locale(user.locale or "en"):
        shown = render(notification.kind, notification.params)
        body = render_template("emails/notification.txt", user=user, shown=shown,
                               link=f"{base}{notification.link}" if notification.link else "",
                               notifications_url=f"{base}/notifications")
    send_mail(user.email, shown.subject, body, key=f"notification-{notification.id}")


def notify_organisation(organisation: Organisation, kind: str, *, key: str, link: str = "", **params) -> int:
    """Every member of the co-op (owners and members alike) is told."""
    users = db.session().exec(select(User).join(Membership, Membership.user_id == User.id)
                              .where(Membership.organisation_id == organisation.id)).all()
    params.setdefault("organisation", organisation.name)
    return sum(1 for user in users if notify(user, kind, key=key, link=link, **params) is not None)


def officers(*, excluding: set[int] | frozenset[int] = frozenset()) -> list[User]:
    return list(db.session().exec(
        select(User).join(StaffRole, StaffRole.user_id == User.id)
        .where(StaffRole.role == "officer", User.is_active.is_(True)).distinct().order_by(User.id)
    ).all()) if not excluding else [u for u in officers() if u.id not in excluding]


def notify_office(kind: str, *, key: str, link: str = "", excluding: set[int] | frozenset[int] = frozenset(),
                  **params) -> int:
    return sum(1 for officer in officers(excluding=excluding)
               if notify(officer, kind, key=key, link=link, **params) is not None)


def once(key: str) -> bool:
    """True the first time a scheduled notice with this key is claimed, False ever after."""
    session = db.session()
    if session.exec(select(NoticeSent.id).where(NoticeSent.key == key)).first():
        return False
    try:
        with session.begin_nested():
            session.add(NoticeSent(key=key))
            session.flush()
    except IntegrityError:
        return False
    return True


# --- the in-app list ------------------------------------------------------------------------------

def for_user(user: User, *, limit: int = 100) -> list[Notification]:
    return list(db.session().exec(select(Notification).where(Notification.user_id == user.id)
                                  .order_by(Notification.created_at.desc(), Notification.id.desc())
                                  .limit(limit)).all())


def unread_count(user: User) -> int:
    return db.session().exec(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None))).one()


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read (or all of them when no id is given)."""
    query = select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    rows = db.session().exec(query).all()
    now = utcnow()
    for row in rows:
        row.read_at = now
    db.session().flush()
    return len(rows)
