#!/bin/bash
# Run the whole suite on SQLite, then again on PostgreSQL when one answers.
# PostgreSQL: TEST_DATABASE_URL, else the local postgresql://postgres@127.0.0.1:5432/test.
# WARNING: that database is emptied (its "public" schema is dropped), so its
# name must contain "test"; DATABASE_URL is never used here.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=".venv/bin/pytest"

echo "== Test suite on SQLite =="
env -u DATABASE_URL -u TEST_DATABASE_URL "$PYTEST" "$@"
sqlite_status=$?

pg_url="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
pg_status=0
if .venv/bin/python - "$pg_url" <<'PY'
import sys

import psycopg
from sqlalchemy.engine import make_url

url = make_url(sys.argv[1])
if "test" not in (url.database or ""):
    print(f"Refusing to run the tests on database {url.database!r}: its name must contain 'test' (it is emptied).")
    sys.exit(2)
try:
    psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False), connect_timeout=3).close()
except psycopg.Error as error:
    print(f"PostgreSQL not reachable ({error.__class__.__name__}); skipping the PostgreSQL run.")
    sys.exit(1)
PY
then
    echo "== Test suite on PostgreSQL =="
    TEST_DATABASE_URL="$pg_url" "$PYTEST" "$@"
    pg_status=$?
elif [[ $? -eq 2 ]]; then
    pg_status=2
fi

if [[ $sqlite_status -ne 0 || $pg_status -ne 0 ]]; then
    echo "FAILED: SQLite exit $sqlite_status, PostgreSQL exit $pg_status"
    exit 1
fi
