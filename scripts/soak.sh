#!/usr/bin/env bash
# The fault harness at soak size (README "Reliability"): only the fault tests, with more customers and kills than the
# test command, printing each scenario's summary line. Every setting is an environment variable:
#   ORCHESTRATOR_FAULTS_CUSTOMERS      customers copied from the sample's (the test command: 200)
#   ORCHESTRATOR_FAULTS_KILLS          kill -9s in the kill scenario (test command: 5)
#   ORCHESTRATOR_FAULTS_SEED           the kill moments' seed (default: a new one, printed)
#   ORCHESTRATOR_FAULTS_SMTP_DOWN_SECONDS, ORCHESTRATOR_FAULTS_SMTP_4XX_SECONDS   the SMTP outage (10, 8)
#   ORCHESTRATOR_FAULTS_SAMPLE_DAYS    days of the sample the broker, 5xx, database and two-worker scenarios run
#                                      (test command: 8, about a minute each; 0: all three weeks)
#   ORCHESTRATOR_FAULTS_BROKER_DOWN_SECONDS   how long the scenario's own RabbitMQ node is stopped (5)
#   ORCHESTRATOR_FAULTS_DB_LOCK_SECONDS       how long another process holds the database's write lock (10)
#   ORCHESTRATOR_FAULTS_BACKLOG        events published while the worker is stopped (test command: 10000)
#   ORCHESTRATOR_FAULTS_BACKLOG_SECONDS       how long the backlog may take to be decided (240)
# Usage: scripts/soak.sh [extra dotnet test arguments]
set -uo pipefail
cd "$(dirname "$0")/.."
export ORCHESTRATOR_FAULTS_CUSTOMERS=${ORCHESTRATOR_FAULTS_CUSTOMERS:-600}
export ORCHESTRATOR_FAULTS_KILLS=${ORCHESTRATOR_FAULTS_KILLS:-10}
export ORCHESTRATOR_FAULTS_SMTP_DOWN_SECONDS=${ORCHESTRATOR_FAULTS_SMTP_DOWN_SECONDS:-30}
export ORCHESTRATOR_FAULTS_SMTP_4XX_SECONDS=${ORCHESTRATOR_FAULTS_SMTP_4XX_SECONDS:-15}
export ORCHESTRATOR_FAULTS_SAMPLE_DAYS=${ORCHESTRATOR_FAULTS_SAMPLE_DAYS:-0}
export ORCHESTRATOR_FAULTS_BROKER_DOWN_SECONDS=${ORCHESTRATOR_FAULTS_BROKER_DOWN_SECONDS:-30}
export ORCHESTRATOR_FAULTS_DB_LOCK_SECONDS=${ORCHESTRATOR_FAULTS_DB_LOCK_SECONDS:-30}
export ORCHESTRATOR_FAULTS_BACKLOG=${ORCHESTRATOR_FAULTS_BACKLOG:-50000}
export ORCHESTRATOR_FAULTS_BACKLOG_SECONDS=${ORCHESTRATOR_FAULTS_BACKLOG_SECONDS:-600}
log=$(mktemp -t soak.XXXXXX.log)

scripts/services.sh start || { echo "could not start the test services (see above)"; exit 1; }
dotnet build tests/Orchestrator.Worker.Tests -warnaserror >/dev/null || { echo "build failed (run: dotnet build tests/Orchestrator.Worker.Tests -warnaserror)"; exit 1; }
dotnet test tests/Orchestrator.Worker.Tests --no-build --filter "FullyQualifiedName~Orchestrator.Worker.Tests.Faults" \
  --logger "console;verbosity=detailed" "$@" >"$log" 2>&1
status=$?
# The summary lines, the kills and the outage's timeline; the whole log stays for a failure.
grep -E "expected sends:|^ *kill [0-9]|^ *seed |^ *smtp |^ *published |settled|^ *(Passed|Failed) |^ *(broker|health|database|refusing|worker-b|backlog)" "$log" | sed 's/^ *//'
echo "full log: $log"
exit $status
