#!/usr/bin/env bash
# The fault harness at soak size (README "Reliability"): only the fault tests, with more customers and kills than the
# test command, printing each scenario's summary line. Every setting is an environment variable:
#   ORCHESTRATOR_FAULTS_CUSTOMERS      customers copied from the sample's (the test command: 200)
#   ORCHESTRATOR_FAULTS_KILLS          kill -9s in the kill scenario (test command: 5)
#   ORCHESTRATOR_FAULTS_SEED           the kill moments' seed (default: a new one, printed)
#   ORCHESTRATOR_FAULTS_SMTP_DOWN_SECONDS, ORCHESTRATOR_FAULTS_SMTP_4XX_SECONDS   the SMTP outage (10, 8)
# Usage: scripts/soak.sh [extra dotnet test arguments]
set -uo pipefail
cd "$(dirname "$0")/.."
export ORCHESTRATOR_FAULTS_CUSTOMERS=${ORCHESTRATOR_FAULTS_CUSTOMERS:-600}
export ORCHESTRATOR_FAULTS_KILLS=${ORCHESTRATOR_FAULTS_KILLS:-10}
export ORCHESTRATOR_FAULTS_SMTP_DOWN_SECONDS=${ORCHESTRATOR_FAULTS_SMTP_DOWN_SECONDS:-30}
export ORCHESTRATOR_FAULTS_SMTP_4XX_SECONDS=${ORCHESTRATOR_FAULTS_SMTP_4XX_SECONDS:-15}
log=$(mktemp -t soak.XXXXXX.log)

scripts/services.sh start || { echo "could not start the test services (see above)"; exit 1; }
dotnet build tests/Orchestrator.Worker.Tests -warnaserror >/dev/null || { echo "build failed (run: dotnet build tests/Orchestrator.Worker.Tests -warnaserror)"; exit 1; }
dotnet test tests/Orchestrator.Worker.Tests --no-build --filter "FullyQualifiedName~Orchestrator.Worker.Tests.Faults" \
  --logger "console;verbosity=detailed" "$@" >"$log" 2>&1
status=$?
# The summary lines, the kills and the outage's timeline; the whole log stays for a failure.
grep -E "expected sends:|^ *kill [0-9]|^ *seed |^ *smtp |^ *published |settled|^ *(Passed|Failed) " "$log" | sed 's/^ *//'
echo "full log: $log"
exit $status
