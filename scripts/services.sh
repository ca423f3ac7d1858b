#!/usr/bin/env bash
# Starts the local services the tests need, installing them first on a fresh Debian 12 machine (CI starts with
# nothing installed and no servers running). Idempotent: a second "start" only checks and returns.
#   scripts/services.sh start   install what is missing, start RabbitMQ, wait until it answers
#   scripts/services.sh stop    stop RabbitMQ (leaves the packages installed)
# SMTP servers are not started here: the email tests start their own (tests/smtp/smtp_server.py) on free ports.
# Chromium is only installed: the page tests launch it themselves (tests/Orchestrator.Worker.Tests/Support/Chromium.cs).
set -euo pipefail

# chromium: Debian's own build, for the page tests. Playwright cannot download its browsers on a closed network, so the
# tests point it at /usr/bin/chromium instead.
packages=(rabbitmq-server python3-aiosmtpd python3-pika python3-dkim chromium)
ping_timeout_seconds=${RABBITMQ_START_TIMEOUT:-90}

# Whichever Erlang process starts the port mapper first (the broker or a CLI tool) binds it here: loopback only.
export ERL_EPMD_ADDRESS=127.0.0.1

log() { echo "services.sh: $*" >&2; }

# Debian's python3-aiosmtpd lives in /usr/lib/python3/dist-packages, which only the system interpreter sees.
have_aiosmtpd() { /usr/bin/python3 -c 'import aiosmtpd, pika, dkim' >/dev/null 2>&1; }
have_rabbitmq() { command -v rabbitmq-server >/dev/null 2>&1 && command -v rabbitmq-diagnostics >/dev/null 2>&1; }
# The path the page tests launch (Support/Chromium.cs), not whatever "chromium" is first on PATH.
have_chromium() { [ -x /usr/bin/chromium ]; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_missing() {
  if have_rabbitmq && have_aiosmtpd && have_chromium; then return 0; fi
  log "installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The package's own start (via invoke-rc.d) would listen on every interface; we start it ourselves on loopback.
  local policy=/usr/sbin/policy-rc.d created_policy=no
  if [ ! -e "$policy" ]; then
    # Removed again even if this script is interrupted: left behind, it would block every later service start.
    trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod +x "$policy" && created_policy=yes
  fi
  # Package lists are refreshed only when the install fails: on most machines they are recent enough and the
  # update costs more than the install. The lock timeout waits for another apt-get (say, a second checkout's
  # services.sh) instead of failing at once.
  local apt=(apt-get -o DPkg::Lock::Timeout=300) status=0
  as_root "${apt[@]}" install -y --no-install-recommends "${packages[@]}" \
    || { log "install failed; running apt-get update and trying again"; as_root "${apt[@]}" update && as_root "${apt[@]}" install -y --no-install-recommends "${packages[@]}"; } \
    || status=$?
  if [ "$created_policy" = yes ]; then as_root rm -f "$policy"; trap - EXIT; fi
  if [ "$status" -ne 0 ]; then log "could not install ${packages[*]} (apt-get exit $status)"; return "$status"; fi
  have_rabbitmq || { log "rabbitmq-server is still missing after the install"; return 1; }
  have_aiosmtpd || { log "python3-aiosmtpd is installed but /usr/bin/python3 cannot import aiosmtpd"; return 1; }
  have_chromium || { log "chromium is installed but /usr/bin/chromium is missing"; return 1; }
}

rabbitmq_answers() { as_root rabbitmq-diagnostics -q ping >/dev/null 2>&1; }

start_rabbitmq() {
  local started=$SECONDS deadline=$((SECONDS + ping_timeout_seconds))
  if ! rabbitmq_answers; then
    log "starting RabbitMQ on 127.0.0.1"
    # Loopback only, also for epmd and the Erlang distribution port: this is a test broker with default guest access.
    as_root env RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}' \
      rabbitmq-server -detached \
      || log "rabbitmq-server -detached exited with $? (a node may already be booting); waiting for it to answer"
    until rabbitmq_answers; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        log "RabbitMQ did not answer 'rabbitmq-diagnostics ping' within ${ping_timeout_seconds}s; see /var/log/rabbitmq/"
        return 1
      fi
      sleep 1
    done
  fi
  # ping answers as soon as the Erlang node is up; the AMQP listener opens a few seconds later, when the app has booted.
  local remaining=$((deadline - SECONDS)); [ "$remaining" -gt 5 ] || remaining=5
  if ! as_root rabbitmqctl -q await_startup --timeout "$remaining" >/dev/null; then
    log "RabbitMQ's node answers but the broker did not finish booting within ${ping_timeout_seconds}s; see /var/log/rabbitmq/"
    return 1
  fi
  # Orchestrator:Messaging:Partitions > 1 spreads customers over queues with the consistent-hash exchange (ships with
  # RabbitMQ, off by default). Enabling it again is a no-op.
  as_root rabbitmq-plugins -q enable rabbitmq_consistent_hash_exchange >/dev/null \
    || { log "could not enable rabbitmq_consistent_hash_exchange"; return 1; }
  log "RabbitMQ is ready on 127.0.0.1:5672 ($((SECONDS - started))s)"
}

stop_rabbitmq() {
  if ! have_rabbitmq; then log "RabbitMQ is not installed"; return 0; fi
  if ! rabbitmq_answers; then log "RabbitMQ is not running"; return 0; fi
  as_root rabbitmqctl -q stop
  # The Erlang port mapper outlives the node; stop it too so "stop" leaves no listening socket behind.
  if command -v epmd >/dev/null 2>&1; then as_root epmd -kill >/dev/null 2>&1 || true; fi
  log "RabbitMQ stopped"
}

case "${1:-}" in
  start) install_missing && start_rabbitmq ;;
  stop) stop_rabbitmq ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
