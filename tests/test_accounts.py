"""Accounts as a person meets them: sign up, confirm, sign in, reset, change password."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from helpers import PASSWORD, csrf_token, post_form
from qualitymark.clock import set_clock, utcnow
from qualitymark.models.accounts import User
from qualitymark.models.audit import AuditEvent

LINK = re.compile(r"http://localhost(/\S+)")


def link_in(message) -> str:
    match = LINK.search(message.get_content())
    assert match, message.get_content()
    return match.group(1)


def test_a_new_person_signs_up_confirms_their_email_and_signs_in(client, auth, outbox, db_session):
    response = post_form(client, "/signup", {"name": "Mair Jones", "email": " Mair@Example.Coop ", "password": "a long enough password"})
    assert response.status_code == 302
    assert "Check your email" in client.get("/signin").get_data(as_text=True)

    assert [m["To"] for m in outbox] == ["mair@example.coop"]
    assert outbox[0]["Subject"] == "Confirm your email address"
    # Not confirmed yet: the right password does not sign in, and a new link is sent.
    response = auth.sign_in("mair@example.coop", "a long enough password")
    assert response.status_code == 302
    assert "not confirmed yet" in client.get("/signin").get_data(as_text=True)
    assert len(outbox) == 2

    response = client.get(link_in(outbox[0]))
    assert response.status_code == 302
    assert "your email address is confirmed" in client.get("/signin").get_data(as_text=True)

    response = auth.sign_in("MAIR@example.coop", "a long enough password")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "signed in as Mair Jones" in client.get("/").get_data(as_text=True)

    user = db_session.exec(select(User).where(User.email == "mair@example.coop")).one()
    assert user.password_hash.startswith("$argon2id$")
    actions = db_session.exec(select(AuditEvent.action).where(AuditEvent.object_id == str(user.id))).all()
    assert actions == ["user.registered", "user.email_confirmed", "user.signed_in"]


def test_signing_up_again_with_a_known_email_reveals_nothing_on_screen(client, user, outbox, db_session):
    response = post_form(client, "/signup", {"name": "Someone", "email": user.email, "password": "another long password"},
                         follow_redirects=True)
    assert "Check your email" in response.get_data(as_text=True)
    assert len(db_session.exec(select(User)).all()) == 1
    assert outbox[-1]["Subject"] == "Someone tried to sign up with your email address"


def test_sign_up_form_keeps_what_was_typed_and_ties_errors_to_fields(client):
    response = post_form(client, "/signup", {"name": "Gwen", "email": "not-an-email", "password": "short"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Gwen"' in page and 'value="not-an-email"' in page
    assert 'aria-describedby="email-hint email-error"' in page and 'aria-invalid="true"' in page
    assert '<a href="#password">' in page
    assert "<title>Error: Create an account" in page


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client, auth, user):
    wrong_password = auth.sign_in(user.email, "not the password").get_data(as_text=True)
    unknown_email = auth.sign_in("nobody@example.coop", "not the password").get_data(as_text=True)
    message = "The email address or the password is not right"
    assert message in wrong_password and message in unknown_email
    assert "Sign out" not in wrong_password


def test_sign_in_is_throttled_per_account(client, auth, user, app):
    for _ in range(5):
        assert auth.sign_in(user.email, "wrong password!").status_code == 200
    response = auth.sign_in(user.email, PASSWORD)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many attempts" in page and "Traceback" not in page


def test_sign_in_is_throttled_per_address_across_accounts(client, auth, create_user):
    for number in range(5):
        auth.sign_in(f"guess{number}@example.coop", "wrong password!")
    assert auth.sign_in("guess9@example.coop", "wrong password!").status_code == 429


def test_successful_sign_ins_do_not_use_up_attempts(client, auth, user):
    for _ in range(7):
        assert auth.sign_in(user.email).status_code == 302
        auth.sign_out()


def test_next_parameter_only_redirects_within_the_site(client, auth, user):
    assert auth.sign_in(user.email, next="https://evil.example/").headers["Location"] == "/"
    auth.sign_out()
    assert auth.sign_in(user.email, next="//evil.example/x").headers["Location"] == "/"
    auth.sign_out()
    assert auth.sign_in(user.email, next="/account/").headers["Location"] == "/account/"


def test_remember_me_sets_a_secure_long_lived_cookie(client, auth, user):
    response = auth.sign_in(user.email, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("qm_remember=")]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]


def test_password_reset_with_a_valid_token_works_once(client, auth, user, outbox):
    post_form(client, "/reset", {"email": user.email})
    path = link_in(outbox[-1])
    response = post_form(client, path, {"password": "a brand new password", "confirm": "a brand new password"})
    assert response.status_code == 302 and response.headers["Location"] == "/signin"
    assert auth.sign_in(user.email, "a brand new password").status_code == 302
    auth.sign_out()
    # The same link again: refused, and the new password stays.
    response = client.get(path, follow_redirects=True)
    assert "already been used" in response.get_data(as_text=True)
    assert auth.sign_in(user.email, "a brand new password").status_code == 302


def test_password_reset_token_expires_after_an_hour(client, user, outbox):
    post_form(client, "/reset", {"email": user.email})
    path = link_in(outbox[-1])
    later = utcnow() + timedelta(hours=1, minutes=1)
    set_clock(lambda: later)
    response = client.get(path, follow_redirects=True)
    assert "This reset link has expired" in response.get_data(as_text=True)


def test_password_reset_request_says_the_same_for_unknown_emails(client, outbox):
    response = post_form(client, "/reset", {"email": "nobody@example.coop"}, follow_redirects=True)
    assert "Check your email" in response.get_data(as_text=True)
    assert outbox == []


def test_a_tampered_reset_token_is_refused(client, user, outbox):
    post_form(client, "/reset", {"email": user.email})
    path = link_in(outbox[-1])
    response = client.get(path[:-3] + "abc", follow_redirects=True)
    assert "not valid" in response.get_data(as_text=True)


def test_changing_the_password_ends_other_sessions_but_not_this_one(app, auth, user):
    other_device = app.test_client()
    from helpers import Auth

    Auth(other_device).sign_in(user.email, remember=True)
    assert other_device.get("/account/").status_code == 200

    auth.sign_in(user.email)
    response = post_form(auth.client, "/account/password",
                         {"current": PASSWORD, "password": "my new password 2", "confirm": "my new password 2"})
    assert response.status_code == 302
    assert auth.client.get("/account/").status_code == 200
    # The other device, even with its remember-me cookie, is signed out.
    assert other_device.get("/account/").status_code == 302


def test_change_password_with_a_wrong_current_password_says_so(client, auth, user):
    auth.sign_in(user.email)
    response = post_form(client, "/account/password",
                         {"current": "not it at all", "password": "my new password 2", "confirm": "my new password 2"})
    page = response.get_data(as_text=True)
    assert "Your current password is not right" in page and 'id="current-error"' in page


def test_a_post_without_csrf_token_is_refused(client, user):
    response = client.post("/signin", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "security token" in page and "Traceback" not in page


def test_sign_out_needs_a_post_with_csrf(client, auth, user):
    auth.sign_in(user.email)
    assert client.get("/signout").status_code == 405
    assert client.post("/signout").status_code == 400
    assert auth.sign_out().status_code == 302
    assert client.get("/account/").status_code == 302


def test_pages_that_need_an_account_send_you_to_sign_in(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=")


def test_the_sign_in_form_fields_are_named_email_and_password(client):
    page = client.get("/signin").get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' in page
    assert 'for="email"' in page and 'for="password"' in page
    assert csrf_token(client, "/signin")
