"""Account and invitation emails come in the recipient's language: the language an account holder
saved (or signed up in), whatever the language of the page that caused the email; an invitation to
someone without an account comes in the inviter's page language."""
from __future__ import annotations

import re

import pytest

from applicant_fixtures import signed_in
from catalogue import ensure_compiled
from helpers import PASSWORD, post_form
from qualitymark.models.accounts import User

OTHER = {"en": "cy", "cy": "en"}
GREETING = {"en": "Hello", "cy": "Helo"}


@pytest.fixture(autouse=True, scope="module")
def _welsh_compiled():
    ensure_compiled()


def speaking(app, user, lang: str):
    """The same user, with `lang` as their saved language."""
    from qualitymark import db

    with app.app_context():
        db.session().get(User, user.id).locale = lang
        db.commit()
    return user


def only_email_to(outbox, address: str):
    sent = [message for message in outbox if message["To"] == address]
    assert len(sent) == 1, [message["Subject"] for message in sent]
    return sent[0]


def link_in(body: str, path: str) -> str:
    match = re.search(rf"^http://localhost({re.escape(path)}\S*)$", body, re.MULTILINE)
    assert match, body
    return match.group(1)


def says(message, lang: str, subject: str, *phrases: str) -> str:
    """The email has this subject and these phrases, greets in `lang` and not in the other language."""
    body = message.get_content()
    assert message["Subject"] == subject
    for phrase in phrases:
        assert phrase in body, body
    assert re.search(rf"^{GREETING[lang]}\b", body, re.MULTILINE), body
    assert not re.search(rf"^{GREETING[OTHER[lang]]}\b", body, re.MULTILINE), body
    return body


# --- accounts -----------------------------------------------------------------------------

CONFIRM = {
    "en": ("Confirm your email address",
           ["Please confirm your email address by opening this link:", "The link works for 3 days."]),
    "cy": ("Cadarnhau eich cyfeiriad e-bost",
           ["Cadarnhewch eich cyfeiriad e-bost drwy agor y ddolen hon:", "Mae'r ddolen yn gweithio am 3 diwrnod."]),
}


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_someone_who_signs_up_is_asked_to_confirm_in_the_language_they_signed_up_in(client, outbox, lang):
    client.set_cookie("qm_lang", lang)
    post_form(client, "/signup",
              {"name": "Siân Jones", "email": "sian@example.coop", "password": "mynydd glas afon hir"})

    subject, phrases = CONFIRM[lang]
    body = says(only_email_to(outbox, "sian@example.coop"), lang, subject, *phrases)
    response = client.get(link_in(body, "/confirm/"))
    assert response.status_code == 302


SIGNUP_ATTEMPT = {
    "en": ("Someone tried to sign up with your email address",
           ["Someone (perhaps you) tried to create a Care Quality Mark account", "If it was you, sign in here:",
            "choose a new one here:", "If it was not you, you can ignore this message."]),
    "cy": ("Mae rhywun wedi ceisio cofrestru gyda'ch cyfeiriad e-bost",
           ["Mae rhywun (chi efallai) wedi ceisio creu cyfrif Marc Ansawdd Gofal", "mewngofnodwch yma:",
            "dewiswch un newydd yma:", "Os nad chi oedd hwn, gallwch anwybyddu'r neges hon."]),
}


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_second_sign_up_is_reported_in_the_account_holders_language_not_the_pages(
        app, client, user, outbox, lang):
    speaking(app, user, lang)
    client.set_cookie("qm_lang", OTHER[lang])
    post_form(client, "/signup", {"name": "Someone", "email": user.email, "password": "another long password"})

    subject, phrases = SIGNUP_ATTEMPT[lang]
    body = says(only_email_to(outbox, user.email), lang, subject, *phrases)
    assert link_in(body, "/signin") == "/signin"
    assert link_in(body, "/reset") == "/reset"


RESET = {
    "en": ("Reset your password",
           ["To choose a new password, open this link within an hour:",
            "If you did not ask for this, you can ignore this message."]),
    "cy": ("Ailosod eich cyfrinair",
           ["I ddewis cyfrinair newydd, agorwch y ddolen hon o fewn awr:",
            "Os nad chi ofynnodd am hyn, gallwch anwybyddu'r neges hon."]),
}


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_password_reset_link_comes_in_the_account_holders_language(app, client, user, outbox, lang):
    speaking(app, user, lang)
    client.set_cookie("qm_lang", OTHER[lang])
    post_form(client, "/reset", {"email": user.email})

    subject, phrases = RESET[lang]
    body = says(only_email_to(outbox, user.email), lang, subject, *phrases)
    path = link_in(body, "/reset/")
    assert client.get(path).status_code == 200


CHANGED = {
    "en": ("Your password was changed",
           ["The password of your Care Quality Mark account was just changed",
            "reset your password now and tell the certification office:"]),
    "cy": ("Mae eich cyfrinair wedi'i newid",
           ["Mae cyfrinair eich cyfrif Marc Ansawdd Gofal newydd gael ei newid",
            "ailosodwch eich cyfrinair nawr a rhowch wybod i'r swyddfa ardystio:"]),
}


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_changed_password_is_reported_in_the_account_holders_language(app, auth, user, outbox, lang):
    speaking(app, user, lang)
    auth.sign_in(user.email)
    response = post_form(auth.client, "/account/password",
                         {"current": PASSWORD, "password": "my new password 2", "confirm": "my new password 2"})
    assert response.status_code == 302

    subject, phrases = CHANGED[lang]
    body = says(only_email_to(outbox, user.email), lang, subject, *phrases)
    assert link_in(body, "/reset") == "/reset"


# --- invitations --------------------------------------------------------------------------

INVITATION = {
    "en": ("You are invited to join Gofal on the Care Quality Mark",
           ["Olwen Owner has invited you to join Gofal as a member on the Care Quality Mark service.",
            "To accept, open this link within 14 days",
            "If you were not expecting this, you can ignore this message."]),
    "cy": ("Gwahoddiad i ymuno â Gofal ar y Marc Ansawdd Gofal",
           ["Mae Olwen Owner wedi eich gwahodd i ymuno â Gofal fel aelod ar wasanaeth y Marc Ansawdd Gofal.",
            "I dderbyn, agorwch y ddolen hon o fewn 14 diwrnod",
            "Os nad oeddech yn disgwyl hyn, gallwch anwybyddu'r neges hon."]),
}


def invite(app, owner, email: str, role: str = "member"):
    response = post_form(signed_in(app, owner).client, "/coops/gofal/members", {"email": email, "role": role})
    assert response.status_code == 302


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_an_invitation_to_someone_with_an_account_is_in_their_language(app, owner, create_user, outbox, lang):
    speaking(app, owner, OTHER[lang])
    invited = speaking(app, create_user(email="nia@example.coop", name="Nia Newcomer"), lang)
    invite(app, owner, invited.email)

    subject, phrases = INVITATION[lang]
    body = says(only_email_to(outbox, invited.email), lang, subject, *phrases)
    assert link_in(body, "/invitations/")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_an_invitation_to_someone_without_an_account_is_in_the_inviters_language(app, owner, outbox, lang):
    speaking(app, owner, lang)
    invite(app, owner, "newcomer@example.coop")

    subject, phrases = INVITATION[lang]
    body = says(only_email_to(outbox, "newcomer@example.coop"), lang, subject, *phrases)
    assert link_in(body, "/invitations/")


def test_an_invitation_to_be_an_owner_says_so_in_welsh(app, owner, outbox):
    speaking(app, owner, "cy")
    invite(app, owner, "perchennog@example.coop", role="owner")

    body = only_email_to(outbox, "perchennog@example.coop").get_content()
    assert "i ymuno â Gofal fel perchennog ar wasanaeth y Marc Ansawdd Gofal." in body
