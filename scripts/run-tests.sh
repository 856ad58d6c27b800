#!/bin/bash
# Run the whole suite on SQLite, then again on PostgreSQL when one answers.
# PostgreSQL: TEST_DATABASE_URL, else DATABASE_URL, else the local default.
# WARNING: the PostgreSQL test database is emptied (schema "public" dropped).
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=".venv/bin/pytest"

echo "== Test suite on SQLite =="
env -u DATABASE_URL -u TEST_DATABASE_URL "$PYTEST" "$@"
sqlite_status=$?

pg_url="${TEST_DATABASE_URL:-${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}}"
pg_status=0
if [[ "$pg_url" == postgres* ]] && .venv/bin/python - "$pg_url" <<'PY'
import sys
import psycopg
url = sys.argv[1].replace("postgresql+psycopg://", "postgresql://")
try:
    psycopg.connect(url, connect_timeout=3).close()
except psycopg.Error as error:
    print(f"PostgreSQL not reachable ({error.__class__.__name__}); skipping the PostgreSQL run.")
    sys.exit(1)
PY
then
    echo "== Test suite on PostgreSQL =="
    TEST_DATABASE_URL="$pg_url" "$PYTEST" "$@"
    pg_status=$?
fi

if [[ $sqlite_status -ne 0 || $pg_status -ne 0 ]]; then
    echo "FAILED: SQLite exit $sqlite_status, PostgreSQL exit $pg_status"
    exit 1
fi
