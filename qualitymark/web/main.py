"""The home page and other pages that belong to no feature."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, send_from_directory

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    return render_template("home.html")


@bp.route("/favicon.ico")
def favicon():
    # Browsers ask for this path whatever the page says; answer with the SVG icon.
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400)


@bp.route("/healthz")
def health():
    # For load balancers and the benchmark's trivial route: no database, no template.
    return {"status": "ok"}
