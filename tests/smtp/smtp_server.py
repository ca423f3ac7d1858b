#!/usr/bin/python3
"""A real SMTP server for the email tests (aiosmtpd, from Debian's python3-aiosmtpd; run it with /usr/bin/python3).

    smtp_server.py PORT FOLDER [--auth USER:PASSWORD] [--stop-on-stdin-eof] [--reject-all "451 4.3.2"]
                   [--reject-address ADDRESS:"550 5.1.1" ...]

Listens on 127.0.0.1:PORT and prints READY once it accepts connections. Every accepted message is stored as
FOLDER/NNNNNN.eml, the raw bytes of DATA as received (headers included), next to NNNNNN.envelope.json with the
envelope (MAIL FROM, RCPT TO); started again on a folder that holds messages, it numbers on after them.
FOLDER/connections.log gets one line per client connection, so tests can check
that connections are reused. RCPT TO addresses starting with "reject-permanent" get 550, "reject-transient" 451;
with --reject-all every RCPT TO gets the given reply, with --reject-address that one address (any case) does.
Every refused RCPT TO is appended to FOLDER/refused.log as a JSON line (at, address, reply), so a test can count the
attempts a refused address got (a second attempt after a permanent refusal is a send that should not have happened).
Stops on SIGTERM/SIGINT, and with --stop-on-stdin-eof also when its standard input closes (a test that redirects
stdin to a pipe then never leaves a server behind, even if it dies before killing it).
"""
import argparse
import asyncio
import itertools
import json
import os
import signal
import sys
import threading
import time
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    """Writes each file under a temporary name and renames it, so a test never reads half a message."""

    def __init__(self, folder):
        self.folder = folder
        # Started again on the same folder (a test taking the server down and up), it numbers on after the last
        # message instead of overwriting what earlier runs received.
        stored = [int(name[:6]) for name in os.listdir(folder) if name.endswith(".eml") and name[:6].isdigit()]
        self.numbers = itertools.count(max(stored, default=0) + 1)
        self.lock = threading.Lock()
        self.accepting_connections = False

    def write(self, name, data):
        path = os.path.join(self.folder, name)
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.replace(path + ".tmp", path)

    def refused(self, address, reply):
        line = json.dumps({"at": time.time(), "address": address, "reply": reply})
        with self.lock, open(os.path.join(self.folder, "refused.log"), "a") as log:
            log.write(line + "\n")

    def connection(self, peer):
        # Controller.start() opens one connection of its own to check the server is up: not counted.
        if not self.accepting_connections:
            return
        with self.lock, open(os.path.join(self.folder, "connections.log"), "a") as log:
            log.write(f"{peer[0]}:{peer[1]}\n")


class Handler:
    def __init__(self, recorder, reject_all, reject_addresses):
        self.recorder = recorder
        self.reject_all = reject_all
        self.reject_addresses = reject_addresses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.reply_to(address)
        if reply is None:
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"
        self.recorder.refused(address, reply)
        return reply

    def reply_to(self, address):
        local = address.lower()
        if self.reject_all:
            return f"{self.reject_all} <{address}>: Recipient address rejected: Try again later"
        if local in self.reject_addresses:
            return f"{self.reject_addresses[local]} <{address}>: Recipient address rejected: User unknown"
        if local.startswith("reject-permanent"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if local.startswith("reject-transient"):
            return f"451 4.7.1 <{address}>: Recipient address rejected: Try again later"
        return None

    async def handle_DATA(self, server, session, envelope):
        with self.recorder.lock:
            number = next(self.recorder.numbers)
        name = f"{number:06d}"
        self.recorder.write(name + ".envelope.json", json.dumps(
            {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}).encode())
        self.recorder.write(name + ".eml", envelope.original_content)
        return f"250 2.0.0 Ok: queued as {name}"


class CountingSMTP(SMTP):
    def __init__(self, *args, recorder, **kwargs):
        super().__init__(*args, **kwargs)
        self.recorder = recorder

    def connection_made(self, transport):
        super().connection_made(transport)
        self.recorder.connection(transport.get_extra_info("peername"))


class CountingController(Controller):
    def __init__(self, handler, recorder, **kwargs):
        super().__init__(handler, **kwargs)
        self.recorder = recorder

    def factory(self):
        return CountingSMTP(self.handler, recorder=self.recorder, **self.SMTP_kwargs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("folder")
    parser.add_argument("--auth", help="USER:PASSWORD required by AUTH (offered without TLS, for tests)")
    # Opt-in: a caller that does not redirect stdin may hand us /dev/null, which is at EOF from the start.
    parser.add_argument("--stop-on-stdin-eof", action="store_true", help="also stop when standard input closes")
    # A server having a bad spell: every recipient refused with this reply, e.g. "451 4.3.2" (fault tests).
    parser.add_argument("--reject-all", help="answer every RCPT TO with this code and enhanced status")
    # One mailbox that does not exist, among good ones, e.g. ann@example.org:"550 5.1.1" (fault tests). Split at the
    # last colon: the reply has none, an address rarely does.
    parser.add_argument("--reject-address", action="append", default=[], metavar="ADDRESS:REPLY",
                        help="answer RCPT TO for this address with this code and enhanced status (repeatable)")
    args = parser.parse_args()
    os.makedirs(args.folder, exist_ok=True)
    reject_addresses = {}
    for rule in args.reject_address:
        address, separator, reply = rule.rpartition(":")
        if not separator or not address or not reply[:3].isdigit():
            parser.error(f"--reject-address {rule!r}: expected ADDRESS:REPLY, e.g. ann@example.org:\"550 5.1.1\"")
        reject_addresses[address.lower()] = reply

    recorder = Recorder(args.folder)
    smtp_kwargs = {}
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
            # handled=False: aiosmtpd then answers 535 itself (handled=True would mean "already answered").
            return AuthResult(success=ok, handled=False)

        # AUTH without TLS is what aiosmtpd warns about; on loopback in a test it is the point.
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        smtp_kwargs = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}

    controller = CountingController(Handler(recorder, args.reject_all, reject_addresses), recorder, hostname="127.0.0.1", port=args.port,
                                    server_hostname="smtp.test", **smtp_kwargs)
    controller.start()
    recorder.accepting_connections = True
    print("READY", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if args.stop_on_stdin_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
