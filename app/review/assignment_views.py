"""The chair's assignment pages: automatic runs, top-ups, manual changes."""
from flask import Blueprint

bp = Blueprint("review_assign", __name__, url_prefix="/review/assign")
