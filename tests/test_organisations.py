"""Co-op profiles, member classes and votes, and the people in a co-op."""
from __future__ import annotations

import re

from sqlmodel import select

from applicant_fixtures import signed_in
from helpers import post_form
from qualitymark.models.accounts import Membership, Organisation, StakeholderClass
from qualitymark.models.audit import AuditEvent


def profile(**overrides):
    data = {"name": "Gofal Cymunedol", "coop_type": "user_led", "legal_form": "Co-operative society",
            "registered_number": "IP12345", "region": "Gwynedd", "services": "home care\nsupported living",
            "consortia": "North Wales Care Co-ops",
            "count_people_using_services": "40", "share_people_using_services": "60",
            "count_workers": "12", "share_workers": "40"}
    data.update(overrides)
    return data


def test_anyone_signed_in_registers_a_co_op_and_becomes_its_owner(app, user, db_session):
    auth = signed_in(app, user)
    response = post_form(auth.client, "/coops/new", profile())
    assert response.status_code == 302 and response.headers["Location"] == "/coops/gofal-cymunedol"
    page = auth.client.get("/coops/gofal-cymunedol").get_data(as_text=True)
    assert "User-led: yes." in page and "60%" in page and "North Wales Care Co-ops" in page
    organisation = db_session.exec(select(Organisation)).one()
    membership = db_session.exec(select(Membership)).one()
    assert (membership.user_id, membership.role) == (user.id, "owner")
    classes = {row.kind: row.voting_share_basis_points for row in db_session.exec(select(StakeholderClass)).all()}
    assert classes == {"people_using_services": 6000, "workers": 4000}
    assert db_session.exec(select(AuditEvent.action).where(AuditEvent.object_type == "organisation")).all() == [
        "organisation.created"]
    assert organisation.service_list == ["home care", "supported living"]


def test_a_user_led_co_op_below_51_percent_is_told_so(app, user):
    auth = signed_in(app, user)
    post_form(auth.client, "/coops/new", profile(share_people_using_services="50.99", share_workers="49.01"))
    page = auth.client.get("/coops/gofal-cymunedol").get_data(as_text=True)
    assert "User-led: not yet." in page and "50.99%" in page


def test_the_51_percent_check_only_shows_for_user_led_co_ops(app, user):
    auth = signed_in(app, user)
    post_form(auth.client, "/coops/new", profile(coop_type="multi_stakeholder"))
    assert "User-led" not in auth.client.get("/coops/gofal-cymunedol").get_data(as_text=True)


def test_vote_shares_over_100_percent_are_refused_and_what_was_typed_is_kept(app, user):
    auth = signed_in(app, user)
    response = post_form(auth.client, "/coops/new", profile(share_workers="50"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "add up to 110" in page
    assert 'value="Gofal Cymunedol"' in page and 'value="IP12345"' in page


def test_owner_edits_the_profile_and_the_change_is_audited_with_before_and_after(app, owner, db_session):
    auth = signed_in(app, owner)
    response = post_form(auth.client, "/coops/gofal/edit", profile(name="Gofal", region="Ceredigion"),
                         token_from="/coops/gofal/edit")
    assert response.status_code == 302
    event = db_session.exec(select(AuditEvent).where(AuditEvent.action == "organisation.updated")).one()
    assert event.data["region"] == {"before": "", "after": "Ceredigion"}


def test_a_member_who_is_not_an_owner_cannot_edit_the_profile(app, member):
    auth = signed_in(app, member)
    assert auth.client.get("/coops/gofal/edit").status_code == 403
    assert auth.client.get("/coops/gofal").status_code == 200


def test_a_member_of_another_co_op_cannot_see_the_profile_at_all(app, owner, outsider):
    auth = signed_in(app, outsider)
    for path in ("/coops/gofal", "/coops/gofal/edit", "/coops/gofal/members"):
        assert auth.client.get(path).status_code == 404, path


def test_owner_invites_by_email_and_the_invited_person_joins(app, owner, create_user, outbox, db_session):
    auth = signed_in(app, owner)
    response = post_form(auth.client, "/coops/gofal/members", {"email": "New@Example.coop", "role": "member"})
    assert response.status_code == 302
    link = re.search(r"http://localhost(/invitations/\S+)", outbox[-1].get_content()).group(1)
    newcomer = create_user(email="new@example.coop", name="Nia Newcomer")
    newcomer_auth = signed_in(app, newcomer)
    assert "Join Gofal" in newcomer_auth.client.get(link).get_data(as_text=True)
    assert post_form(newcomer_auth.client, link, {}).status_code == 302
    assert newcomer_auth.client.get("/coops/gofal").status_code == 200
    # The link works once.
    again = newcomer_auth.client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "already been used" in again


def test_an_invitation_cannot_be_used_by_someone_else(app, owner, create_user, outbox):
    auth = signed_in(app, owner)
    post_form(auth.client, "/coops/gofal/members", {"email": "invited@example.coop", "role": "owner"})
    link = re.search(r"http://localhost(/invitations/\S+)", outbox[-1].get_content()).group(1)
    stranger = signed_in(app, create_user(email="stranger@example.coop"))
    assert "different email address" in stranger.client.get(link).get_data(as_text=True)
    response = post_form(stranger.client, link, {}, follow_redirects=True)
    assert "different email address" in response.get_data(as_text=True)
    assert stranger.client.get("/coops/gofal").status_code == 404


def test_owner_changes_roles_and_removes_members_but_the_last_owner_stays(app, owner, member, db_session):
    auth = signed_in(app, owner)
    memberships = {m.user_id: m.id for m in db_session.exec(select(Membership)).all()}
    response = post_form(auth.client, "/coops/gofal/members/role",
                         {"membership_id": memberships[owner.id], "role": "member"}, token_from="/coops/gofal/members",
                         follow_redirects=True)
    assert "at least one owner" in response.get_data(as_text=True)
    post_form(auth.client, "/coops/gofal/members/role", {"membership_id": memberships[member.id], "role": "owner"},
              token_from="/coops/gofal/members")
    db_session.expire_all()
    assert db_session.get(Membership, memberships[member.id]).role == "owner"
    post_form(auth.client, "/coops/gofal/members/remove", {"membership_id": memberships[member.id]},
              token_from="/coops/gofal/members")
    db_session.expire_all()
    assert db_session.get(Membership, memberships[member.id]) is None


def test_a_membership_id_from_another_co_op_is_not_found(app, owner, outsider, db_session):
    other = db_session.exec(select(Membership).where(Membership.user_id == outsider.id)).one()
    auth = signed_in(app, owner)
    response = post_form(auth.client, "/coops/gofal/members/remove", {"membership_id": other.id},
                         token_from="/coops/gofal/members")
    assert response.status_code == 404


def test_a_member_leaves(app, owner, member, db_session):
    auth = signed_in(app, member)
    response = post_form(auth.client, "/coops/gofal/leave", {}, token_from="/coops/gofal/members")
    assert response.status_code == 302
    assert auth.client.get("/coops/gofal").status_code == 404
