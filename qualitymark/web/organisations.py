"""Co-op profiles and their members."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from qualitymark import policy
from qualitymark.models.accounts import Membership, STAKEHOLDER_KINDS
from qualitymark.services import organisations as service
from qualitymark.web.organisation_forms import ConfirmForm, InviteForm, MemberActionForm, OrganisationForm

bp = Blueprint("organisations", __name__)


def _load(slug: str):
    organisation = service.get_by_slug(slug)
    if organisation is None:
        abort(404)
    return organisation


def _profile(form: OrganisationForm) -> service.Profile:
    return service.Profile(
        name=form.name.data, legal_form=form.legal_form.data or "", registered_number=form.registered_number.data or "",
        region=form.region.data or "", coop_type=form.coop_type.data, services=form.services.data or "",
        consortia=(form.consortia.data or "").splitlines(), stakeholders=form.stakeholders(),
    )


@bp.route("/coops/new", methods=["GET", "POST"])
@login_required
def create():
    policy.authorise("organisation.create")
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = service.create_organisation(_profile(form), owner=current_user)
        except service.OrganisationError as error:
            form.name.errors.append(str(error))
        else:
            flash(_("%(coop)s is registered, and you are its owner.", coop=organisation.name), "success")
            return redirect(url_for("organisations.show", slug=organisation.slug))
    return render_template("organisations/edit.html", form=form, organisation=None)


@bp.route("/coops/<slug>")
@login_required
def show(slug: str):
    organisation = _load(slug)
    policy.authorise("organisation.view", organisation)
    from qualitymark.services import applications

    return render_template(
        "organisations/show.html", organisation=organisation,
        stakeholders=service.stakeholder_classes(organisation),
        consortia=[consortium for consortium, _link in service.consortia_of(organisation)],
        user_led=service.user_led_check(organisation), labels=service.STAKEHOLDER_LABELS,
        coop_types=service.COOP_TYPE_LABELS, applications=applications.applications_of(organisation),
        can_edit=policy.can(current_user, "organisation.edit", organisation),
        can_apply=policy.can(current_user, "application.start", organisation),
    )


@bp.route("/coops/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    organisation = _load(slug)
    policy.authorise("organisation.edit", organisation)
    form = OrganisationForm(obj=organisation if request.method == "GET" else None)
    if request.method == "GET":
        form.consortia.data = "\n".join(c.name for c, _link in service.consortia_of(organisation))
        for row in service.stakeholder_classes(organisation):
            form[f"count_{row.kind}"].data = row.member_count
            form[f"share_{row.kind}"].data = row.voting_share_basis_points / 100
    if form.validate_on_submit():
        try:
            service.update_organisation(organisation, _profile(form), actor=current_user)
        except service.OrganisationError as error:
            form.name.errors.append(str(error))
        else:
            flash(_("The profile is saved."), "success")
            return redirect(url_for("organisations.show", slug=organisation.slug))
    return render_template("organisations/edit.html", form=form, organisation=organisation)


@bp.route("/coops/<slug>/members", methods=["GET", "POST"])
@login_required
def members(slug: str):
    organisation = _load(slug)
    policy.authorise("organisation.view", organisation)
    may_manage = policy.can(current_user, "organisation.manage_members", organisation)
    form = InviteForm()
    if form.validate_on_submit():
        policy.authorise("organisation.manage_members", organisation)
        try:
            service.invite_member(organisation, form.email.data, form.role.data, inviter=current_user)
        except service.OrganisationError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("An invitation is on its way to %(email)s. It works for %(days)s days.", email=form.email.data,
                    days=service.INVITATION_DAYS), "success")
            return redirect(url_for("organisations.members", slug=slug))
    return render_template("organisations/members.html", organisation=organisation, form=form,
                           members=service.members(organisation), may_manage=may_manage,
                           action_form=MemberActionForm(), leave_form=ConfirmForm())


def _membership_from(form: MemberActionForm, organisation) -> Membership:
    from qualitymark import db

    try:
        membership = db.session().get(Membership, int(form.membership_id.data))
    except (TypeError, ValueError):
        membership = None
    if membership is None or membership.organisation_id != organisation.id:
        abort(404)
    return membership


@bp.route("/coops/<slug>/members/role", methods=["POST"])
@login_required
def change_role(slug: str):
    organisation = _load(slug)
    policy.authorise("organisation.manage_members", organisation)
    form = MemberActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.change_role(organisation, _membership_from(form, organisation), form.role.data, actor=current_user)
    except service.OrganisationError as error:
        flash(str(error), "error")
    else:
        flash(_("The role is changed."), "success")
    return redirect(url_for("organisations.members", slug=slug))


@bp.route("/coops/<slug>/members/remove", methods=["POST"])
@login_required
def remove(slug: str):
    organisation = _load(slug)
    policy.authorise("organisation.manage_members", organisation)
    form = MemberActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.remove_member(organisation, _membership_from(form, organisation), actor=current_user)
    except service.OrganisationError as error:
        flash(str(error), "error")
    else:
        flash(_("The member is removed."), "success")
    return redirect(url_for("organisations.members", slug=slug))


@bp.route("/coops/<slug>/leave", methods=["POST"])
@login_required
def leave(slug: str):
    organisation = _load(slug)
    policy.authorise("organisation.leave", organisation)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.remove_member(organisation, policy.membership_of(current_user, organisation.id), actor=current_user)
    except service.OrganisationError as error:
        flash(str(error), "error")
        return redirect(url_for("organisations.members", slug=slug))
    flash(_("You have left %(coop)s.", coop=organisation.name), "success")
    return redirect(url_for("applications.dashboard"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@login_required
def accept_invitation(token: str):
    try:
        invitation = service.find_invitation(token)
    except service.OrganisationError as error:
        flash(str(error), "error")
        return redirect(url_for("applications.dashboard"))
    from qualitymark import db
    from qualitymark.models.accounts import Organisation

    organisation = db.session().get(Organisation, invitation.organisation_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            service.accept_invitation(token, current_user)
        except service.OrganisationError as error:
            flash(str(error), "error")
            return redirect(url_for("applications.dashboard"))
        flash(_("Welcome to %(coop)s.", coop=organisation.name), "success")
        return redirect(url_for("organisations.show", slug=organisation.slug))
    return render_template("organisations/invitation.html", organisation=organisation, invitation=invitation,
                           form=form, email_matches=invitation.email == current_user.email)


__all__ = ["bp", "STAKEHOLDER_KINDS"]
