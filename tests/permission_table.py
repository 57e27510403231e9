"""Who gets what, on every route of the app: the permission matrix, as a table.

tests/test_permission_matrix.py checks every cell against the running app, and fails when a route
in `app.url_map` has no row here. One row per (route, method); the columns are the kinds of user,
in the order of USERS. A new route needs a row: decide, for each kind of person, what they should
get — that decision is the point of the table.

Answers
    "ok"      200, or a redirect that is not the sign-in bounce (the page did its job or sent the
              person on: e.g. an invalid token redirects to the page that explains it).
    "signin"  302 to /signin?next=... (the page needs someone signed in).
    400       Let through the permission check, but the empty form is malformed (a POST only).
    403       May know the thing exists, may not do this.
    404       May not even know it exists (guessing ids reveals nothing).
    405       The method is not allowed on this route.

POSTs carry a valid CSRF token and an empty body, unless POST_BODIES gives a minimal one (only
where an empty body would stop before the permission check, so the check would go untested).

The scenario the placeholders are filled from (built in test_permission_matrix.py):
    {slug}           "gofal", the applicant co-op (owner + member). It holds a certificate from an
                     earlier application, so its public register page exists.
    {application_id} gofal's open application. Round 1 was submitted, assigned (the assigned
                     assessor accepted, the invited one has not answered), then the office requested
                     changes: it is now `changes_requested` in round 2, so the co-op may edit it.
    {section_id}     "A".   {evidence_id}: a file of the application (added in round 1).
    {number}         1: the application's first round; also the first status list's number.
    {assignment_id}  the assigned assessor's (accepted) assignment.
    {code}           the public code of gofal's certificate (active: no suspension to appeal).
    {appeal_id}      the owner's appeal against the decision on gofal's first (certified) application,
                     waiting: the officer moderated that application, so may not decide it.
    {complaint_id}   a complaint from the public about gofal, not yet taken.
    {year}           1: the certificate's first annual declaration, made (as if eleven months on) by the
                     owner, reporting a change.   {declaration_id}: that declaration, not yet reviewed.
    {notification_id} the owner's first in-app notification (marking someone else's changes nothing).
    {token}          an invalid token: the page's own error handling answers.
    {scheme}/{version}  "care-quality-mark"/"1.0.0".   {purpose}: "revocation".
"""
from __future__ import annotations

OK, IN = "ok", "signin"

# The kinds of user, in column order.
USERS = {
    "anonymous": "nobody signed in",
    "owner": "an owner of the applicant co-op",
    "member": "a plain member of the applicant co-op",
    "outsider": "an owner of another co-op",
    "assessor": "the assessor who accepted the review of the application",
    "invited": "an assessor invited to review the application, who has not accepted yet",
    "unassigned": "an assessor with no part in this application",
    "conflicted": "an assessor whose home co-op is the applicant co-op (not a member of it)",
    "officer": "a certification officer",
    "admin": "a scheme admin",
}

# Rows that repeat: the same answer for the same kind of page.
PUBLIC = (OK,) * 10
NOT_ALLOWED = (405,) * 10  # a GET on a POST-only route: refused before anything else
SIGNED_IN = (IN,) + (OK,) * 9
#                anon   owner member outsider  assessor invited unassigned conflicted  officer admin
APP_READ     = (IN,    OK,   OK,    404,      OK,      404,    404,       404,        OK,     OK)
APP_EDIT     = (IN,    OK,   OK,    404,      403,     404,    404,       404,        403,    403)
COOP_READ    = (IN,    OK,   OK,    404,      404,     404,    404,       404,        OK,     OK)
COOP_OWNER   = (IN,    OK,   403,   404,      404,     404,    404,       404,        403,    403)
COOP_MEMBER  = (IN,    OK,   OK,    404,      404,     404,    404,       404,        403,    403)
OFFICE       = (IN,    403,  403,   403,      403,     403,    403,       403,        OK,     OK)
ADMIN_ONLY   = (IN,    403,  403,   403,      403,     403,    403,       403,        403,    OK)
# /office/applications/<id>/...: the office only; people who cannot read the application get 404
# (as on every page of an application), those who can read it 403.
OFFICE_APP   = (IN,    403,  403,   404,      403,     404,    404,       404,        OK,     OK)
OWN_REVIEW   = (IN,    404,  404,   404,      OK,      404,    404,       404,        404,    404)
ASSESSORS    = (IN,    403,  403,   403,      OK,      OK,     OK,        OK,         403,    403)

TABLE: list[tuple[str, str, tuple]] = [
    # --- public pages ---------------------------------------------------------------------------
    ("/",                                        "GET",  PUBLIC),
    ("/favicon.ico",                             "GET",  PUBLIC),
    ("/healthz",                                 "GET",  PUBLIC),
    ("/language",                                "GET",  PUBLIC),   # sets the language, back to the page
    ("/signin",                                  "GET",  PUBLIC),   # signed in: redirected on
    ("/signin",                                  "POST", PUBLIC),
    ("/signin/code",                             "GET",  PUBLIC),   # no sign-in pending: back to /signin
    ("/signin/code",                             "POST", PUBLIC),
    ("/signup",                                  "GET",  PUBLIC),
    ("/signup",                                  "POST", PUBLIC),
    ("/signout",                                 "GET",  NOT_ALLOWED),
    ("/signout",                                 "POST", PUBLIC),
    ("/confirm/{token}",                         "GET",  PUBLIC),   # invalid: back to /signin, no next
    ("/reset",                                   "GET",  PUBLIC),
    ("/reset",                                   "POST", PUBLIC),
    ("/reset/{token}",                           "GET",  PUBLIC),   # invalid: back to /reset
    ("/reset/{token}",                           "POST", PUBLIC),
    ("/rubrics/",                                "GET",  PUBLIC),
    ("/rubrics/{scheme}/{version}",              "GET",  PUBLIC),
    ("/rubrics/{scheme}/{version}.yaml",         "GET",  PUBLIC),
    ("/register",                                "GET",  PUBLIC),
    ("/register/{slug}",                         "GET",  PUBLIC),
    ("/c/{code}",                                "GET",  PUBLIC),
    ("/c/{code}.json",                           "GET",  PUBLIC),
    ("/c/{code}.pdf",                            "GET",  PUBLIC),
    ("/c/{code}/badge.svg",                      "GET",  PUBLIC),
    ("/verify",                                  "GET",  PUBLIC),
    ("/verify",                                  "POST", PUBLIC),
    ("/status/{purpose}/{number}",               "GET",  PUBLIC),
    ("/.well-known/did.json",                    "GET",  PUBLIC),
    ("/api",                                     "GET",  PUBLIC),
    ("/api/v1/openapi.json",                     "GET",  PUBLIC),
    ("/api/v1/register",                         "GET",  PUBLIC),
    ("/api/v1/certificates/{code}",              "GET",  PUBLIC),
    ("/complaints/new",                          "GET",  PUBLIC),
    ("/complaints/new",                          "POST", PUBLIC),   # an empty form: shown again with its errors
    ("/complaints/received",                     "GET",  PUBLIC),   # no complaint sent: back to the form

    # --- anyone signed in -------------------------------------------------------------------------
    ("/account/",                                "GET",  SIGNED_IN),
    ("/account/data",                            "GET",  SIGNED_IN),
    ("/account/language",                        "GET",  NOT_ALLOWED),
    ("/account/language",                        "POST", SIGNED_IN),  # empty: "choose a language", back to the account
    ("/account/delete",                          "GET",  SIGNED_IN),
    ("/account/delete",                          "POST", SIGNED_IN),
    ("/account/password",                        "GET",  SIGNED_IN),
    ("/account/password",                        "POST", SIGNED_IN),
    ("/account/two-factor",                      "GET",  SIGNED_IN),
    ("/account/two-factor",                      "POST", SIGNED_IN),
    ("/dashboard",                               "GET",  SIGNED_IN),
    ("/coops/new",                               "GET",  SIGNED_IN),
    ("/coops/new",                               "POST", SIGNED_IN),
    ("/invitations/{token}",                     "GET",  SIGNED_IN),  # invalid: to the dashboard
    ("/invitations/{token}",                     "POST", SIGNED_IN),

    # --- the co-op's pages --------------------------------------------------------------------------
    ("/coops/{slug}",                            "GET",  COOP_READ),
    ("/coops/{slug}/members",                    "GET",  COOP_READ),
    ("/coops/{slug}/members",                    "POST", COOP_OWNER),  # an invitation (POST_BODIES)
    #                                                     anon owner member outsider assessor invited unassigned conflicted officer admin
    ("/coops/{slug}/members/role",               "GET",  NOT_ALLOWED),
    ("/coops/{slug}/members/role",               "POST", (IN, 400, 403, 404, 404, 404, 404, 404, 403, 403)),
    ("/coops/{slug}/members/remove",             "GET",  NOT_ALLOWED),
    ("/coops/{slug}/members/remove",             "POST", (IN, 400, 403, 404, 404, 404, 404, 404, 403, 403)),
    ("/coops/{slug}/leave",                      "GET",  NOT_ALLOWED),
    ("/coops/{slug}/leave",                      "POST", COOP_MEMBER),
    ("/coops/{slug}/edit",                       "GET",  COOP_OWNER),
    ("/coops/{slug}/edit",                       "POST", COOP_OWNER),
    ("/coops/{slug}/apply",                      "GET",  COOP_MEMBER),
    ("/coops/{slug}/apply",                      "POST", COOP_MEMBER),

    # --- the application --------------------------------------------------------------------------
    ("/applications/{application_id}",                                    "GET",  APP_READ),
    ("/applications/{application_id}/changes",                            "GET",  APP_READ),
    ("/applications/{application_id}/rounds/{number}",                    "GET",  APP_READ),
    ("/applications/{application_id}/history",                            "GET",  APP_READ),
    ("/applications/{application_id}/sections/{section_id}",              "GET",  APP_READ),
    ("/applications/{application_id}/sections/{section_id}",              "POST", (IN, 400, 400, 404, 403, 404, 404, 404, 403, 403)),
    ("/applications/{application_id}/submit",                             "GET",  APP_EDIT),
    ("/applications/{application_id}/submit",                             "POST", APP_EDIT),
    ("/applications/{application_id}/withdraw",                           "GET",  APP_EDIT),
    ("/applications/{application_id}/withdraw",                           "POST", APP_EDIT),
    ("/applications/{application_id}/evidence",                           "GET",  APP_READ),
    ("/applications/{application_id}/evidence",                           "POST", APP_EDIT),
    ("/applications/{application_id}/evidence/{evidence_id}",             "GET",  APP_EDIT),
    ("/applications/{application_id}/evidence/{evidence_id}",             "POST", APP_EDIT),
    ("/applications/{application_id}/evidence/{evidence_id}/download",    "GET",  APP_READ),
    ("/applications/{application_id}/evidence/{evidence_id}/remove",      "GET",  NOT_ALLOWED),
    ("/applications/{application_id}/evidence/{evidence_id}/remove",      "POST", APP_EDIT),

    # --- appeals by the co-op: readers of the application (or co-op) see them, owners lodge them ----
    # The open application has no decision yet: the page says there is nothing to appeal.
    ("/applications/{application_id}/appeal",                             "GET",  APP_READ),
    ("/applications/{application_id}/appeal",                             "POST", (IN, OK, 403, 404, 403, 404, 404, 404, 403, 403)),
    ("/coops/{slug}/certificates/{code}/appeal",          "GET",  COOP_READ),
    ("/coops/{slug}/certificates/{code}/appeal",          "POST", COOP_OWNER),

    # --- the certificate's life: members see it; owners renew and declare ---------------------------
    ("/coops/{slug}/certificates/{code}",                           "GET",  COOP_READ),
    ("/coops/{slug}/certificates/{code}/renew",                     "GET",  COOP_OWNER),
    ("/coops/{slug}/certificates/{code}/renew",                     "POST", COOP_OWNER),  # empty: shown again
    ("/coops/{slug}/certificates/{code}/declarations/{year}",       "GET",  COOP_READ),
    ("/coops/{slug}/certificates/{code}/declarations/{year}",       "POST", COOP_OWNER),
    # Evidence reused by a renewal is confirmed by those who may edit the application.
    ("/applications/{application_id}/evidence/confirm",             "GET",  NOT_ALLOWED),
    ("/applications/{application_id}/evidence/confirm",             "POST", APP_EDIT),

    # --- each person's own notifications -------------------------------------------------------------
    ("/notifications/",                          "GET",  SIGNED_IN),
    ("/notifications/{notification_id}/read",    "GET",  NOT_ALLOWED),
    ("/notifications/{notification_id}/read",    "POST", SIGNED_IN),
    ("/notifications/read-all",                  "GET",  NOT_ALLOWED),
    ("/notifications/read-all",                  "POST", SIGNED_IN),

    # --- assessors ----------------------------------------------------------------------------------
    ("/reviews",                                 "GET",  ASSESSORS),
    ("/reviews/{assignment_id}",                 "GET",  OWN_REVIEW),  # accepted: on to /score
    ("/reviews/{assignment_id}",                 "POST", OWN_REVIEW),
    ("/reviews/{assignment_id}/score",           "GET",  OWN_REVIEW),
    ("/reviews/{assignment_id}/score",           "POST", OWN_REVIEW),

    # --- the certification office -------------------------------------------------------------------
    ("/office/",                                 "GET",  OFFICE),
    ("/office/export.csv",                       "GET",  OFFICE),
    ("/office/certificates/{code}",              "GET",  OFFICE),
    ("/office/certificates/{code}",              "POST", OFFICE),
    ("/office/assessors",                        "GET",  ADMIN_ONLY),
    ("/office/assessors",                        "POST", ADMIN_ONLY),
    ("/office/calibration",                      "GET",  ADMIN_ONLY),
    ("/office/audit.csv",                        "GET",  ADMIN_ONLY),
    ("/office/appeals",                          "GET",  OFFICE),
    ("/office/appeals/{appeal_id}",              "GET",  OFFICE),
    # Appeals are decided by certification officers (an empty form is shown again), not admins.
    ("/office/appeals/{appeal_id}",              "POST", (IN, 403, 403, 403, 403, 403, 403, 403, OK, 403)),
    ("/office/declarations",                     "GET",  OFFICE),
    ("/office/declarations/{declaration_id}",    "GET",  OFFICE),
    # What a reported change means is recorded by a certification officer (empty: shown again).
    ("/office/declarations/{declaration_id}",    "POST", (IN, 403, 403, 403, 403, 403, 403, 403, OK, 403)),
    # Nobody outside the office may know a complaint exists.
    ("/office/complaints",                       "GET",  (IN, 404, 404, 404, 404, 404, 404, 404, OK, OK)),
    ("/office/complaints/{complaint_id}",        "GET",  (IN, 404, 404, 404, 404, 404, 404, 404, OK, OK)),
    # Officers take and close complaints (a body naming no action is malformed); admins only read.
    ("/office/complaints/{complaint_id}",        "POST", (IN, 404, 404, 404, 404, 404, 404, 404, 400, 403)),
    ("/office/applications/{application_id}/assign",          "GET",  OFFICE_APP),
    ("/office/applications/{application_id}/assign",          "POST", (IN, 403, 403, 404, 403, 404, 404, 404, 400, 400)),
    # Overriding a conflict is the admin's alone (the body names the override form; see POST_BODIES).
    ("/office/applications/{application_id}/assign",          "POST override", (IN, 403, 403, 404, 403, 404, 404, 404, 403, OK)),
    ("/office/applications/{application_id}/moderate",        "GET",  OFFICE_APP),
    ("/office/applications/{application_id}/moderate",        "POST", OFFICE_APP),
    # Deciding is for certification officers only (policy: office.decide), not scheme admins.
    ("/office/applications/{application_id}/decide",          "GET",  (IN, 403, 403, 404, 403, 404, 404, 404, OK, 403)),
    ("/office/applications/{application_id}/decide",          "POST", (IN, 403, 403, 404, 403, 404, 404, 404, OK, 403)),
    # Changes were already requested (round 2 is open), so nobody may request them now: the office
    # gets 403 for the state, not for who they are.
    ("/office/applications/{application_id}/request-changes", "GET",  (IN, 403, 403, 404, 403, 404, 404, 404, 403, 403)),
    ("/office/applications/{application_id}/request-changes", "POST", (IN, 403, 403, 404, 403, 404, 404, 404, 403, 403)),
]

# Minimal bodies, keyed by (path, method label); every other POST sends only its CSRF token.
POST_BODIES: dict[tuple[str, str], dict[str, str]] = {
    # The invitation form is validated before "manage members" is checked: an empty body would be
    # re-shown to anyone who may read the page, and the owner-only check would never run.
    ("/coops/{slug}/members", "POST"): {"email": "new.person@example.coop", "role": "member"},
    # Naming the override form takes the admin-only branch of the assign page.
    ("/office/applications/{application_id}/assign", "POST override"): {"override-reason": "x"},
}

for _path, _method, _answers in TABLE:
    assert len(_answers) == len(USERS), f"{_method} {_path}: {len(_answers)} answers for {len(USERS)} kinds of user"
