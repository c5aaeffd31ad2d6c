#!/usr/bin/env bash
# CI: property-based tests of the REST API against its own OpenAPI document.
# A scratch SQLite database with the ICSR 2015 study, a researcher with a token,
# the development server on 127.0.0.1:8501 with public read on; then schemathesis
# twice: every GET anonymously, every operation with the researcher's token.
# Any 5xx or response that contradicts the document fails the run. The coverage
# phase (boundary values of every parameter) is off: it takes over ten minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${SCHEMATHESIS_PORT:-8501}"
BASE="http://127.0.0.1:$PORT"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-20}"
# A fixed seed keeps CI deterministic; SCHEMATHESIS_SEED=<n> explores other inputs.
SEED="${SCHEMATHESIS_SEED:-2015}"
# SCHEMATHESIS_PHASES=coverage,examples,fuzzing adds boundary values of every parameter (slow).
PHASES="${SCHEMATHESIS_PHASES:-examples,fuzzing}"
WORKDIR="$(mktemp -d /tmp/testimony_api_schemathesis.XXXXXX)"
export DATABASE_URL="sqlite:///$WORKDIR/db.sqlite3"
export TESTIMONY_PUBLIC_READ=1
# Schemathesis sends thousands of requests; the throttles are tested in the suite.
export API_THROTTLE_ANON=100000/minute API_THROTTLE_USER=100000/minute
PY=.venv/bin/python

SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORKDIR"
}
trap cleanup EXIT

echo "== scratch database $DATABASE_URL"
$PY manage.py migrate --noinput --verbosity 0
$PY manage.py loaddata icsr_2015 --verbosity 0
printf '%s\n' "schemathesis-$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')" \
  | $PY manage.py create_user schemathesis --role Researcher --password-stdin
TOKEN="$($PY manage.py issue_token schemathesis)"

echo "== server on $BASE"
$PY manage.py runserver "127.0.0.1:$PORT" --noreload >"$WORKDIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "$BASE/api/schema/" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORKDIR/server.log"; exit 1; }
  sleep 0.5
done
curl -fsS -o /dev/null "$BASE/api/schema/" || { echo "server did not start" >&2; cat "$WORKDIR/server.log"; exit 1; }

ST=(.venv/bin/schemathesis run "$BASE/api/schema/"
  --checks not_a_server_error,response_schema_conformance
  --phases "$PHASES"
  --max-examples "$MAX_EXAMPLES"
  --seed "$SEED"
  --generation-database none
  --request-timeout 30
  --warnings off)

echo "== schemathesis: reads, anonymous"
"${ST[@]}" --include-method GET

echo "== schemathesis: every operation, researcher token"
"${ST[@]}" -H "Authorization: Token $TOKEN"
