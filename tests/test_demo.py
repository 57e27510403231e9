"""`make run`'s demo data: every role can sign in, and there is something to look at."""
from __future__ import annotations

from sqlmodel import select

from applicant_fixtures import REPO
from qualitymark.models.applications import Application


def test_demo_data_has_a_draft_and_a_submitted_application_and_is_idempotent(app, runner, db_session, auth):
    assert runner.invoke(args=["rubrics", "publish", str(REPO / "criteria")]).exit_code == 0
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    statuses = sorted(db_session.exec(select(Application.status)).all())
    assert statuses == ["certified", "decision_pending", "draft", "in_review"]
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert len(db_session.exec(select(Application)).all()) == 4
    from qualitymark.demo import DEMO_PASSWORD

    assert auth.sign_in("applicant@demo.coop", DEMO_PASSWORD).status_code == 302
    page = auth.client.get("/dashboard").get_data(as_text=True)
    assert "Cwmni Gofal Demo" in page and "Gofal Gogledd Demo" in page
    auth.sign_out()
    auth.sign_in("officer2@demo.coop", DEMO_PASSWORD)
    # Demo officers set up two-factor sign-in on first use, as real ones do.
    first = auth.client.get("/office/")
    assert first.status_code == 302 and first.headers["Location"] == "/account/two-factor"
    assert "Scan this code" in auth.client.get("/account/two-factor").get_data(as_text=True)
    import pyotp

    from qualitymark.models.accounts import User

    db_session.expire_all()
    secret = db_session.exec(select(User.totp_secret).where(User.email == "officer2@demo.coop")).one()
    from helpers import post_form

    codes = post_form(auth.client, "/account/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert "Your recovery codes" in codes.get_data(as_text=True)
    assert "Ready for a decision" in auth.client.get("/office/").get_data(as_text=True)
    ready = auth.client.get("/office/?filter=ready").get_data(as_text=True)
    assert "Cydweithfa Gofal Caerdydd Demo" in ready
