#!/usr/bin/env bash
# The Citus check: on a throw-away single-node Citus cluster that refuses every statement
# touching more than one shard, orgkit's tables and the example app's distributed with
# docs/scaling.md's DDL (the tests read it from the document), the single-shard slice of the
# HTTP contract and the example app's tests run as on plain PostgreSQL. The one statement
# that may be refused, the platform-wide organization list, is checked to be refused.
# Citus comes from a folder beside the repository (or ORGKIT_CITUS_DIR); without it this check
# is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

citus=${ORGKIT_CITUS_DIR:-../shared/citus}
if [ ! -d "$citus" ]; then
  echo "citus: no Citus build beside the repository ($citus); skipping the Citus check"
  exit 0
fi

"$citus/install.sh"
db="orgkit_ci_$$"
url=$("$citus/cluster.sh" start "$db" | tail -n 1)
drop() { psql "${url%/*}/postgres" -qAt -c "drop database if exists \"$db\" with (force)" >/dev/null 2>&1 || true; }
trap drop EXIT
psql "$url" -qAt -c "alter database \"$db\" set citus.multi_task_query_log_level = 'error'"

ORGKIT_TEST_CITUS=1 ORGKIT_TEST_PG_URL="$url" ORGKIT_TEST_DIALECTS=postgres \
  npx vitest run test/http/single-shard.test.ts examples/projects
