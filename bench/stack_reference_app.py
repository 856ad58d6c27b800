"""The stack at its leanest, for ``bench_stack_ceiling.py``: Flask,
Flask-Login with a user loader over a SQLAlchemy 2 ORM session, psycopg and
PostgreSQL (the engine set up as ``app/db.py`` sets up ours) — and nothing of
ours: no request hooks, templates, Babel, CSRF or login-session rows.

Three routes are measured: ``/bare`` answers "ok" (a bare Flask route);
``/me`` answers the logged-in user's id, e-mail and name as JSON — Flask-Login
reads its cookie and the user loader reads the user (one query): a logged-in
request can do no less; ``/page`` is the leanest logged-in *page* — the same,
then one query for what it shows (ten users) and a small HTML template.
``/login/<n>`` logs in the bench's client number ``n``
without a password: this app is the benchmark's yardstick, served only by the
benchmark on 127.0.0.1, never deployed.

    gunicorn "bench.stack_reference_app:create_app()"   (DATABASE_URL, SECRET_KEY)
"""
import os

import sqlalchemy as sa
from flask import Flask, abort, g, jsonify
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

USERS = 100

#: The page: a heading and a ten-row list (compiled once, as a template file would be).
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ user.name }}</title></head>
<body><h1>{{ user.name }}</h1><p>{{ user.email }}</p>
<ul>{% for other in others %}<li><a href="/users/{{ other.id }}">{{ other.name }}</a> {{ other.email }}</li>{% endfor %}</ul>
</body></html>"""


class Base(DeclarativeBase):
    pass


class User(UserMixin, Base):
    __tablename__ = "reference_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str]
    name: Mapped[str]


def prepare(url: str) -> None:
    """Create the table and its users (the benchmark calls it before gunicorn starts)."""
    engine = sa.create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add_all(User(id=n, email=f"reference{n}@bench.local", name=f"Reference {n}") for n in range(1, USERS + 1))
    engine.dispose()


def create_app() -> Flask:
    engine = sa.create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    app = Flask(__name__)
    app.secret_key = os.environ["SECRET_KEY"]
    login_manager = LoginManager(app)

    def database() -> Session:
        if "database" not in g:
            g.database = Session(engine)
        return g.database

    @app.teardown_appcontext
    def close_database(_error):
        session = g.pop("database", None)
        if session is not None:
            session.close()

    @login_manager.user_loader
    def load_user(user_id: str):
        return database().get(User, int(user_id))

    @app.get("/bare")
    def bare():
        return "ok"

    @app.get("/login/<int:number>")
    def login(number: int):
        user = database().get(User, number)
        if user is None:
            abort(404)
        login_user(user)
        return "logged in"

    @app.get("/me")
    @login_required
    def me():
        return jsonify(id=current_user.id, email=current_user.email, name=current_user.name)

    page = app.jinja_env.from_string(PAGE)

    @app.get("/page")
    @login_required
    def page_route():
        others = database().scalars(sa.select(User).where(User.id > current_user.id).order_by(User.id).limit(10)).all()
        return page.render(user=current_user, others=others)

    return app
