"""Forms for co-op profiles and members."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, EmailField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from qualitymark.i18n import choices as lazy_choices
from qualitymark.models.accounts import STAKEHOLDER_KINDS
from qualitymark.services.organisations import COOP_TYPE_LABELS, STAKEHOLDER_LABELS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name of the co-op"), validators=[DataRequired(message=_l("Enter the co-op's name.")), Length(max=200)],
                       filters=[_strip])
    coop_type = SelectField(_l("Kind of co-op"), choices=lazy_choices(COOP_TYPE_LABELS),
                            validators=[DataRequired(message=_l("Choose the kind of co-op."))])
    legal_form = StringField(_l("Legal form"), validators=[Length(max=120)], filters=[_strip],
                             description=_l("For example: co-operative society, community benefit society, CIC."))
    registered_number = StringField(_l("Registered number"), validators=[Length(max=40)], filters=[_strip],
                                    description=_l("The number given by the registrar (FCA, Companies House or equivalent)."))
    region = StringField(_l("Local authority or region"), validators=[Length(max=120)], filters=[_strip])
    services = TextAreaField(_l("Services you provide"), validators=[Length(max=2000)],
                             description=_l("One service per line, for example: home care, supported living, day opportunities."))
    consortia = TextAreaField(_l("Consortia and networks you belong to"), validators=[Length(max=2000)],
                              description=_l("One per line. Assessors from co-ops in the same consortium will not assess you."))
    submit = SubmitField(_l("Save the profile"))

    def stakeholder_fields(self):
        return [(kind, STAKEHOLDER_LABELS[kind], self[f"count_{kind}"], self[f"share_{kind}"]) for kind in STAKEHOLDER_KINDS]

    def stakeholders(self) -> dict[str, tuple[int, Decimal]]:
        result = {}
        for kind in STAKEHOLDER_KINDS:
            count = self[f"count_{kind}"].data or 0
            share = self[f"share_{kind}"].data or Decimal(0)
            if count or share:
                result[kind] = (count, share)
        return result

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        total = sum(share for _count, share in self.stakeholders().values())
        if total > 100:
            self["share_people_using_services"].errors.append(
                _("The voting shares add up to %(total)s%%. They can add up to 100%% at most.",
                  total=format_decimal(total)))
            return False
        return True


for _kind in STAKEHOLDER_KINDS:
    setattr(OrganisationForm, f"count_{_kind}", IntegerField(
        _l("Number of members: %(kind)s", kind=STAKEHOLDER_LABELS[_kind]), default=0,
        validators=[Optional(), NumberRange(min=0, max=10_000_000, message=_l("Enter a whole number, 0 or more."))]))
    setattr(OrganisationForm, f"share_{_kind}", DecimalField(
        _l("Share of the votes (%%): %(kind)s", kind=STAKEHOLDER_LABELS[_kind]), places=2, default=Decimal(0),
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("Enter a percentage from 0 to 100."))]))


class InviteForm(FlaskForm):
    email = EmailField(_l("Email address of the person to invite"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter an email address.")),
        Email(message=_l("Enter an email address like name@example.coop."), check_deliverability=False)])
    role = SelectField(_l("Their role"), choices=lazy_choices({"member": _l("Member: can work on applications"),
                                              "owner": _l("Owner: can also manage the profile and members")}))
    submit = SubmitField(_l("Send the invitation"))


class MemberActionForm(FlaskForm):
    membership_id = HiddenField(validators=[InputRequired()])
    role = SelectField(_l("Role"), choices=lazy_choices({"member": _l("Member"), "owner": _l("Owner")}), validators=[Optional()])


class ConfirmForm(FlaskForm):
    """A POST that only needs its CSRF token (leave, accept an invitation, ...)."""
