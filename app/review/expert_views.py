"""The expert's side of review: queue, conflict declaration, score sheets."""
from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")
