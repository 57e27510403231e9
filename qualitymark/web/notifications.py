"""The signed-in person's notifications: what asks them to act, read or unread."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from qualitymark.services import notifications as service
from qualitymark.web.safety import safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index():
    rows = service.for_user(current_user)
    return render_template("notifications/index.html", form=FlaskForm(),
                           items=[(row, service.render(row.kind, row.params)) for row in rows])


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int):
    if not FlaskForm().validate_on_submit():
        abort(400)
    # Only the person's own notifications can be marked: anyone else's id changes nothing.
    service.mark_read(current_user, notification_id)
    return redirect(safe_next("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    if not FlaskForm().validate_on_submit():
        abort(400)
    count = service.mark_read(current_user)
    flash(_("Marked as read: %(num)d.", num=count), "success")
    return redirect(url_for("notifications.index"))


@bp.app_context_processor
def _unread():
    def unread_notifications() -> int:
        return service.unread_count(current_user) if current_user.is_authenticated else 0

    return {"unread_notifications": unread_notifications}
