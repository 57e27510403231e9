"""The home page and other pages that belong to no feature."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    return render_template("home.html")


@bp.route("/healthz")
def health():
    # For load balancers and the benchmark's trivial route: no database, no template.
    return {"status": "ok"}
