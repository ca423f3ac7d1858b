#!/usr/bin/env bash
# The one test command (README "Run the tests"; .ci/run calls it): restore, build with warnings as errors, start what the
# tests need when it is missing, run every test, and print the closing line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
results="$(pwd)/TestResults"
rm -rf "$results"

if [ -x scripts/services.sh ]; then
  scripts/services.sh start || { echo "could not start the test services (see above)"; echo "0 passed, 1 failed"; exit 1; }
fi

dotnet restore Orchestrator.sln || { echo "0 passed, 1 failed"; exit 1; }
dotnet build Orchestrator.sln --no-restore -warnaserror || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

dotnet test Orchestrator.sln --no-build --logger "trx" --results-directory "$results" "$@"
status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p'); f=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
# A test host that crashed leaves no counters: never report that as success.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
