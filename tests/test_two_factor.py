"""Two-factor sign-in: required for officers and admins, open to everyone, codes work once."""
from __future__ import annotations

from datetime import timedelta

import pyotp
from sqlmodel import select

from helpers import PASSWORD, post_form
from qualitymark.clock import set_clock, utcnow
from qualitymark.models.accounts import User


def test_an_officer_without_two_factor_must_set_it_up_before_anything_else(app, create_user, db_session):
    from qualitymark import db
    from qualitymark.services.accounts import create_staff_user

    with app.app_context():
        create_staff_user("new-officer@office.org", "Newydd", PASSWORD, ["officer"])
        db.commit()
    client = app.test_client()
    post_form(client, "/signin", {"email": "new-officer@office.org", "password": PASSWORD})
    for path in ("/office/", "/dashboard", "/account/"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor", path
    secret = db_session.exec(select(User.totp_secret).where(User.email == "new-officer@office.org")).one()
    assert secret is None  # not generated until the setup page is opened
    page = client.get("/account/two-factor").get_data(as_text=True)
    db_session.expire_all()
    secret = db_session.exec(select(User.totp_secret).where(User.email == "new-officer@office.org")).one()
    assert "<svg" in page and secret[:4] in page
    wrong = post_form(client, "/account/two-factor", {"code": "000000"})
    assert "That code is not right" in wrong.get_data(as_text=True)
    codes_page = post_form(client, "/account/two-factor", {"code": pyotp.TOTP(secret).now()}).get_data(as_text=True)
    assert codes_page.count('<code class="code">') == 10
    assert client.get("/office/").status_code == 200


def test_signing_in_asks_for_the_code_and_a_code_works_once(app, user, db_session):
    from qualitymark import db
    from qualitymark.services import two_factor

    with app.app_context():
        person = db.session().get(User, user.id)
        two_factor.begin_setup(person)
        recovery = two_factor.confirm_setup(person, pyotp.TOTP(person.totp_secret).now())
        db.commit()
        secret = person.totp_secret
    client = app.test_client()
    response = post_form(client, "/signin", {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/signin/code"
    assert client.get("/account/").status_code == 302  # not signed in yet
    later = utcnow() + timedelta(seconds=61)  # the code used during setup is spent; wait for a new one
    set_clock(lambda: later)
    code = pyotp.TOTP(secret).at(later)
    assert post_form(client, "/signin/code", {"code": code}).status_code == 302
    assert client.get("/account/").status_code == 200
    # The same code a second time, on another device: refused.
    other = app.test_client()
    post_form(other, "/signin", {"email": user.email, "password": PASSWORD})
    refused = post_form(other, "/signin/code", {"code": code})
    assert "That code is not right" in refused.get_data(as_text=True)
    # A recovery code works, once.
    assert post_form(other, "/signin/code", {"code": recovery[0]}).status_code == 302
    third = app.test_client()
    post_form(third, "/signin", {"email": user.email, "password": PASSWORD})
    assert "That code is not right" in post_form(third, "/signin/code", {"code": recovery[0]}).get_data(as_text=True)


def test_the_code_step_is_throttled(app, user):
    from qualitymark import db
    from qualitymark.services import two_factor

    with app.app_context():
        person = db.session().get(User, user.id)
        two_factor.begin_setup(person)
        two_factor.confirm_setup(person, pyotp.TOTP(person.totp_secret).now())
        db.commit()
    client = app.test_client()
    post_form(client, "/signin", {"email": user.email, "password": PASSWORD})
    for _ in range(5):
        assert post_form(client, "/signin/code", {"code": "123456"}).status_code == 200
    assert post_form(client, "/signin/code", {"code": "123456"}).status_code == 429


def test_officers_cannot_turn_two_factor_off_but_others_can(app, officer, user):
    from helpers import RECOVERY_CODES, Auth

    auth = Auth(app.test_client())
    auth.sign_in(officer.email)
    page = auth.client.get("/account/two-factor").get_data(as_text=True)
    assert "Turn two-factor sign-in off" not in page
    refused = post_form(auth.client, "/account/two-factor", {"code": RECOVERY_CODES[officer.email].pop(),
                                                             "action": "disable"})
    assert "must keep two-factor sign-in on" in refused.get_data(as_text=True)


def test_common_passwords_and_the_email_are_refused(client):
    for password in ("password123", "qwertyuiop", "iloveyou12", "aaaaaaaaaaaa", "mair.jones@example.coop"):
        page = post_form(client, "/signup", {"name": "Mair", "email": "mair.jones@example.coop",
                                             "password": password}).get_data(as_text=True)
        assert "Choose another" in page or "email address as your password" in page, password
    ok = post_form(client, "/signup", {"name": "Mair", "email": "mair.jones@example.coop",
                                       "password": "teapot harbour violet"})
    assert ok.status_code == 302
