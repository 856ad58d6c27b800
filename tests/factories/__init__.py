"""Factories for test data: valid, realistic objects with overridable fields.

``Factories(session, app)`` (the ``make`` fixture) builds and saves rows with
the methods of one class per domain area; module-level helpers build files
and texts.

  accounts   make.organisation, applicant, staff, chair; PASSWORD, credit_code()
  calls      make.call (phase windows and quotas)
  entries    make.entry, attachment; jpeg_bytes(), image_bytes(), photo_bytes(), pdf_bytes()
  review     make.expert, expert_profile, panel, assignment, sheet,
             rubric_version; write_rubric(), SMALL_RUBRIC, RUBRIC_CONTENT
  results    make.scored_call → ScoredCall (.compute(), .publish())
  library    make.published_library; TITLES, SUMMARIES
  defence    make.defence_round, shortlist (review rounds and shortlists, rows made directly)
"""
from tests.factories.accounts import PASSWORD, AccountFactories, credit_code
from tests.factories.calls import CallFactories
from tests.factories.defence import DefenceFactories
from tests.factories.entries import EntryFactories, image_bytes, jpeg_bytes, pdf_bytes, photo_bytes
from tests.factories.library import LibraryFactories
from tests.factories.results import ResultsFactories, ScoredCall
from tests.factories.review import RUBRIC_CONTENT, SMALL_RUBRIC, ReviewFactories, write_rubric

__all__ = [
    "PASSWORD",
    "RUBRIC_CONTENT",
    "SMALL_RUBRIC",
    "Factories",
    "ScoredCall",
    "credit_code",
    "image_bytes",
    "jpeg_bytes",
    "photo_bytes",
    "pdf_bytes",
    "write_rubric",
]


class Factories(AccountFactories, CallFactories, EntryFactories, ReviewFactories, ResultsFactories, LibraryFactories,
                DefenceFactories):
    """Every factory, bound to one session: ``make.entry(...)``, ``make.assignment(...)``, …"""
