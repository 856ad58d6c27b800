"""The chair's side of review: panels, expert profiles, rubrics, progress."""
from flask import Blueprint

bp = Blueprint("review_manage", __name__, url_prefix="/review/manage")
