#!/usr/bin/env bash
# Runs the benchmark suite (issue 11): every figure beside its raw part, measured in the same run, written as the
# suite's section of docs/benchmarks.md and as bench/results.json.
#   bash bench/run.sh            the full sizes (100,000 wakeups, ...; about an hour on the 2-core machine)
#   bash bench/run.sh --quick    a tenth of them, for a first look
#   bash bench/run.sh --smoke    tiny, as the test BenchSmokeTests runs it
# Other options are passed on (see bench/Orchestrator.Bench.Suite/Program.cs): --wakeups N --quartz N --sends N
# --instances 10000,100000 --events N --json FILE --markdown FILE.
# Needs postfix's smtp-sink; installed here when missing, with postfix set to "No configuration" (no mail server runs).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "bench/run.sh: $*" >&2; }
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ! -x /usr/sbin/smtp-sink ]; then
  log "installing postfix for its smtp-sink (configured as 'No configuration': no mail server is started)"
  echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/dev/null
fi

# Release, as production runs; the suite's project builds the worker it starts.
dotnet build -c Release bench/Orchestrator.Bench.Suite -nologo -v quiet
exec dotnet bench/Orchestrator.Bench.Suite/bin/Release/net10.0/orchestrator-bench-suite.dll "$@"
