"""Forms for co-op profiles and members."""
from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DecimalField, EmailField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from qualitymark.models.accounts import STAKEHOLDER_KINDS
from qualitymark.services.organisations import COOP_TYPE_LABELS, STAKEHOLDER_LABELS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class OrganisationForm(FlaskForm):
    name = StringField("Name of the co-op", validators=[DataRequired(message="Enter the co-op's name."), Length(max=200)],
                       filters=[_strip])
    coop_type = SelectField("Kind of co-op", choices=dict(COOP_TYPE_LABELS),
                            validators=[DataRequired(message="Choose the kind of co-op.")])
    legal_form = StringField("Legal form", validators=[Length(max=120)], filters=[_strip],
                             description="For example: co-operative society, community benefit society, CIC.")
    registered_number = StringField("Registered number", validators=[Length(max=40)], filters=[_strip],
                                    description="The number given by the registrar (FCA, Companies House or equivalent).")
    region = StringField("Local authority or region", validators=[Length(max=120)], filters=[_strip])
    services = TextAreaField("Services you provide", validators=[Length(max=2000)],
                             description="One service per line, for example: home care, supported living, day opportunities.")
    consortia = TextAreaField("Consortia and networks you belong to", validators=[Length(max=2000)],
                              description="One per line. Assessors from co-ops in the same consortium will not assess you.")
    submit = SubmitField("Save the profile")

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
                f"The voting shares add up to {total}%. They can add up to 100% at most.")
            return False
        return True


for _kind in STAKEHOLDER_KINDS:
    setattr(OrganisationForm, f"count_{_kind}", IntegerField(
        f"Number of members: {STAKEHOLDER_LABELS[_kind]}", default=0,
        validators=[Optional(), NumberRange(min=0, max=10_000_000, message="Enter a whole number, 0 or more.")]))
    setattr(OrganisationForm, f"share_{_kind}", DecimalField(
        f"Share of the votes (%): {STAKEHOLDER_LABELS[_kind]}", places=2, default=Decimal(0),
        validators=[Optional(), NumberRange(min=0, max=100, message="Enter a percentage from 0 to 100.")]))


class InviteForm(FlaskForm):
    email = EmailField("Email address of the person to invite", filters=[_strip], validators=[
        DataRequired(message="Enter an email address."),
        Email(message="Enter an email address like name@example.coop.", check_deliverability=False)])
    role = SelectField("Their role", choices={"member": "Member: can work on applications",
                                              "owner": "Owner: can also manage the profile and members"})
    submit = SubmitField("Send the invitation")


class MemberActionForm(FlaskForm):
    membership_id = HiddenField(validators=[InputRequired()])
    role = SelectField("Role", choices={"member": "Member", "owner": "Owner"}, validators=[Optional()])


class ConfirmForm(FlaskForm):
    """A POST that only needs its CSRF token (leave, accept an invitation, ...)."""
