#!/usr/bin/env bash
# Proves `pnpm start` works from nothing: no DATABASE_URL / REDIS_URL, an empty data
# directory, a free port. Starts it, waits for /readyz, signs in with the demo owner login
# the banner printed, presses Ctrl-C (SIGINT to its process group) and checks a clean
# exit 0 with the embedded Postgres gone. Then starts again on the same data directory and
# checks the database is reused, not seeded twice.
#
# Env: SMOKE_READY_TIMEOUT (s, default 180), SMOKE_KEEP_DATA=1 keeps the temp directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
unset DATABASE_URL REDIS_URL APP_DATABASE_URL
READY_TIMEOUT=${SMOKE_READY_TIMEOUT:-180}
STARTED_AT=$SECONDS

DATA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/affnet-smoke.XXXXXX")
chmod 755 "$DATA_DIR" # as root, Postgres runs as the postgres user and must reach it
free_port() { node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
PORT=$(free_port)
PG_PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
LAUNCHER=""

log() { printf '[smoke] %s\n' "$*"; }
fail() {
  printf '[smoke] FAIL: %s\n' "$*" >&2
  if [[ -n ${LOG:-} && -f $LOG ]]; then
    printf '[smoke] last lines of %s:\n' "$LOG" >&2
    tail -n 40 "$LOG" >&2
  fi
  exit 1
}

cleanup() {
  if [[ -n $LAUNCHER ]] && kill -0 "$LAUNCHER" 2>/dev/null; then
    kill -TERM -- "-$LAUNCHER" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$LAUNCHER" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$LAUNCHER" 2>/dev/null || true
  fi
  local pidfile="$DATA_DIR/postgres/postmaster.pid"
  if [[ -f $pidfile ]]; then kill -INT "$(head -n 1 "$pidfile")" 2>/dev/null || true; sleep 1; fi
  if [[ ${SMOKE_KEEP_DATA:-0} == 1 ]]; then log "kept $DATA_DIR"; else rm -rf "$DATA_DIR"; fi
}
trap cleanup EXIT

# HTTP status of a request, via Node so the script needs no curl.
http_status() { # url [json-body]
  node -e '
    const [url, body] = process.argv.slice(1);
    const init = body ? { method: "POST", headers: { "content-type": "application/json" }, body } : {};
    fetch(url, { ...init, signal: AbortSignal.timeout(5000) })
      .then((r) => console.log(r.status), () => console.log(0));
  ' "$@"
}

start_launcher() { # log-file
  LOG=$1
  # Job control gives the launcher its own process group (like a terminal's foreground
  # job) and keeps SIGINT deliverable, which a plain background job would ignore.
  set -m
  DATA_DIR=$DATA_DIR PORT=$PORT EMBEDDED_PG_PORT=$PG_PORT pnpm start >"$LOG" 2>&1 &
  LAUNCHER=$!
  set +m
}

wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT))
  until [[ $(http_status "$BASE/readyz") == 200 ]]; do
    kill -0 "$LAUNCHER" 2>/dev/null || fail "launcher exited before /readyz answered 200"
    ((SECONDS < deadline)) || fail "/readyz not 200 after ${READY_TIMEOUT}s"
    sleep 1
  done
  # The demo seed runs after readiness; the banner comes last.
  deadline=$((SECONDS + 60))
  until grep -q 'Stop with Ctrl-C' "$LOG"; do
    kill -0 "$LAUNCHER" 2>/dev/null || fail "launcher exited before printing its banner"
    ((SECONDS < deadline)) || fail "no banner 60s after ready"
    sleep 0.5
  done
}

check_owner_login() {
  local line email password status
  line=$(grep -m 1 'network owner' "$LOG") || fail "banner shows no network owner login"
  email=$(awk '{print $3}' <<<"$line")
  password=$(awk '{print $5}' <<<"$line")
  status=$(http_status "$BASE/v1/auth/login" "{\"network\":\"demo\",\"email\":\"$email\",\"password\":\"$password\"}")
  [[ $status == 200 ]] || fail "POST /v1/auth/login as $email answered $status, expected 200"
  log "login as $email: 200"
}

press_ctrl_c() {
  local pg_pid rc=0 deadline
  pg_pid=$(head -n 1 "$DATA_DIR/postgres/postmaster.pid")
  kill -INT -- "-$LAUNCHER"
  deadline=$((SECONDS + 60))
  while kill -0 "$LAUNCHER" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "launcher still running 60s after SIGINT"
    sleep 0.2
  done
  wait "$LAUNCHER" || rc=$?
  LAUNCHER=""
  [[ $rc == 0 ]] || fail "launcher exited $rc after SIGINT, expected 0"
  if kill -0 "$pg_pid" 2>/dev/null; then fail "embedded Postgres (pid $pg_pid) still running after the launcher exited"; fi
  [[ ! -e $DATA_DIR/postgres/postmaster.pid ]] || fail "postmaster.pid left behind"
  log "SIGINT: launcher exited 0, embedded Postgres (pid $pg_pid) is gone"
}

log "data dir $DATA_DIR, API port $PORT, Postgres port $PG_PORT"

log "first start (empty data directory)"
T0=$SECONDS
start_launcher "$DATA_DIR/first-start.log"
wait_ready
log "ready and seeded in $((SECONDS - T0))s"
grep -q 'Seeded a demo network' "$LOG" || fail "first start did not seed the demo network"
check_owner_login
press_ctrl_c

log "second start (same data directory)"
T0=$SECONDS
start_launcher "$DATA_DIR/second-start.log"
wait_ready
log "ready in $((SECONDS - T0))s"
grep -q 'Using the existing database' "$LOG" || fail "second start did not report the existing database"
if grep -q 'Seeded a demo network' "$LOG"; then fail "second start seeded again"; fi
check_owner_login
press_ctrl_c

log "PASS in $((SECONDS - STARTED_AT))s"
