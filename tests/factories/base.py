"""What every factory shares: a counter for unique names and the save step."""
import itertools

sequence = itertools.count(1)


class BaseFactories:
    """Bound to a session (and the app, for storage, password hashing and rubric files)."""

    def __init__(self, session, app):
        self.session = session
        self.app = app

    def save(self, obj):
        """Add ``obj`` and commit: in the test's transaction this only releases a SAVEPOINT."""
        self.session.add(obj)
        self.session.commit()
        return obj
