#!/usr/bin/env python3
"""Issue 12, IMAP through Dovecot: a testbed `up --mua` (net 241), messages sent with the native
`im2k send` land in Dovecot through the IMS's LMTP delivery and are read over IMAPS with
Python's imaplib and with curl; a Dovecot stopped while messages arrive: no ack, nothing lost,
each message lands exactly once when Dovecot is back; the native mailbox listener is refused in
lmtp mode; Dovecot's passdb (im2k-ims checkpassword) takes the IMS's password and no other.

Usage: lmtp_test.py SOURCE_DIR BIN_DIR
"""
import imaplib
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time

NET = 241
source_dir, bin_dir = sys.argv[1], sys.argv[2]
script = os.path.join(source_dir, "deploy/testbed/testbed.sh")
im2k = os.path.join(bin_dir, "im2k")
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


def wait_for(predicate, what, seconds=30):
    """Polls predicate (bounded); True once it holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    print("     (gave up waiting for " + what + ")", flush=True)
    return False


def events(log, name):
    try:
        with open(log) as f:
            lines = [json.loads(line) for line in f if line.startswith("{")]
    except FileNotFoundError:
        return []
    return [e for e in lines if e.get("event") == name]


class Mailbox:
    """One user's INBOX in the domain's Dovecot, over IMAPS with the testbed CA."""

    def __init__(self, imap, ca, user, password):
        self.imap, self.ca, self.user, self.password = imap, ca, user, password

    def connect(self):
        context = ssl.create_default_context(cafile=self.ca)
        # The testbed's DNS is not the system's: connect by address, check the name.
        conn = imaplib.IMAP4_SSL(self.imap["address"], self.imap["port"], ssl_context=context,
                                 timeout=10, server_hostname=self.imap["host"]) \
            if sys.version_info >= (3, 12) else None
        if conn is None:
            conn = _imap_ssl(self.imap, context)
        conn.login(self.user, self.password)
        conn.select("INBOX")
        return conn

    def messages(self):
        """Every message of INBOX, as bytes, in UID order."""
        conn = self.connect()
        try:
            typ, data = conn.uid("SEARCH", None, "ALL")
            out = []
            for uid in data[0].split():
                typ, got = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                out.append((int(uid), got[0][1]))
            return out
        finally:
            conn.logout()


def _imap_ssl(imap, context):
    # Python 3.11 (Debian 12) has no server_hostname in IMAP4_SSL: wrap the socket ourselves.
    class Named(imaplib.IMAP4_SSL):
        def _create_socket(self, timeout):
            sock = imaplib.IMAP4._create_socket(self, timeout)
            return self.ssl_context.wrap_socket(sock, server_hostname=imap["host"])

    return Named(imap["address"], imap["port"], ssl_context=context, timeout=10)


def send(user_config, rcpts, message):
    with tempfile.NamedTemporaryFile("wb", delete=False) as f:
        f.write(message)
    try:
        got = run([im2k, "send", "--config", user_config, "--file", f.name] + rcpts)
    finally:
        os.unlink(f.name)
    if got.returncode != 0:
        raise RuntimeError("im2k send failed: " + got.stderr)
    return got.stdout.strip()


def status_of(user_config, msg):
    got = run([im2k, "status", "--config", user_config, "--json", msg])
    if got.returncode != 0:
        return {}
    return {r["rcpt"]: r["state"] for r in json.loads(got.stdout)["recipients"]}


def all_pulled(user_config, msg, pulled=True):
    """Both recipients (bob, carol) pulled, or (pulled=False) neither."""
    states = status_of(user_config, msg)
    return len(states) == 2 and all((v == "pulled") == pulled for v in states.values())


def landed(mailbox, msg):
    """How many messages of the mailbox carry the IMS's trace for msg."""
    marker = ("with IM2K id " + msg).encode()
    return sum(1 for _, m in mailbox.messages() if marker in m)


def message(n, subject):
    # CRLF line ends and a line that starts with a dot: LMTP's dot-stuffing must undo itself.
    return (b"From: alice@alpha.test\r\nTo: bob@beta.test, carol@beta.test\r\n"
            b"Subject: " + subject.encode() + b"\r\nMessage-ID: <m" + str(n).encode() +
            b"@alpha.test>\r\n\r\nline one\r\n.a line with a leading dot\r\n..two dots\r\n"
            b"last line " + str(n).encode() + b"\r\n")


def main():
    top = tempfile.mkdtemp(prefix="im2k-mua-")
    bed = os.path.join(top, "bed")
    up = run([script, "up", bed, "--net", str(NET), "--mua", "--bin-dir", bin_dir,
              "--retry-initial", "1s", "--retry-max", "2s"])
    if up.returncode != 0:
        print(up.stdout + up.stderr)
        return 1
    try:
        state = json.load(open(os.path.join(bed, "state.json")))
        beta = next(d for d in state["domains"] if d["name"] == "beta.test")
        alpha = next(d for d in state["domains"] if d["name"] == "alpha.test")
        imap = beta["imap"]
        check(imap["address"] == "127.%d.2.3" % NET and imap["port"] == 993,
              "state.json records domains[].imap (address, port)")
        users = {u["address"]: u for u in beta["users"]}
        password = {a: open(u["password_file"]).read().strip() for a, u in users.items()}
        ca = state["ca"]["cert"]
        bob = Mailbox(imap, ca, "bob@beta.test", password["bob@beta.test"])
        carol = Mailbox(imap, ca, "carol@beta.test", password["carol@beta.test"])
        alice_config = alpha["users"][0]["client_config"]
        ims_log = beta["ims"]["log"]

        # 1. Delivered through LMTP, read over IMAPS with imaplib and curl.
        sent = message(1, "first")
        msg = send(alice_config, ["bob@beta.test", "carol@beta.test"], sent)
        check(wait_for(lambda: landed(bob, msg) == 1 and landed(carol, msg) == 1,
                       "the message in both mailboxes"), "delivered to bob and carol")
        got = [m for _, m in bob.messages() if msg.encode() in m][0]
        check(got.endswith(sent), "imaplib: the submitted bytes, unchanged, end the message")
        check(b"Authentication-Results: mx.beta.test;" in got and b"spf=pass" in got,
              "imaplib: the IMS's Authentication-Results header")
        check(re.search(rb"Received: from oms\.alpha\.test .*\r\n\tby mx\.beta\.test with IM2K id "
                        + msg.encode(), got) is not None, "imaplib: the IMS's trace header")
        uid = [u for u, m in bob.messages() if msg.encode() in m][0]
        curl = subprocess.run(
            ["curl", "-s", "--max-time", "10", "--cacert", ca, "--resolve",
             "%s:%d:%s" % (imap["host"], imap["port"], imap["address"]),
             "--user", "bob@beta.test:" + password["bob@beta.test"],
             "imaps://%s/INBOX;UID=%d" % (imap["host"], uid)], capture_output=True, timeout=30)
        check(curl.returncode == 0 and curl.stdout == got,
              "curl over IMAPS reads the same bytes as imaplib")
        check(all_pulled(alice_config, msg),
              "im2k status: pulled (acked) once Dovecot has it")

        # Dovecot's passdb is the IMS's: a wrong password and an unknown user are refused.
        wrong = Mailbox(imap, ca, "bob@beta.test", "not-the-password")
        try:
            wrong.connect()
            check(False, "a wrong password is refused over IMAP")
        except imaplib.IMAP4.error:
            check(True, "a wrong password is refused over IMAP")
        try:
            Mailbox(imap, ca, "nobody@beta.test", password["bob@beta.test"]).connect()
            check(False, "an unknown user is refused over IMAP")
        except imaplib.IMAP4.error:
            check(True, "an unknown user is refused over IMAP")

        # 2. Dovecot stopped while messages arrive: not acked, nothing lost, each once later.
        check(run([script, "stop", bed, "imap.beta.test"]).returncode == 0, "Dovecot stopped")
        msgs = [send(alice_config, ["bob@beta.test", "carol@beta.test"], message(n, "down"))
                for n in range(2, 5)]
        check(wait_for(lambda: all(any(e.get("msg") == m for e in events(ims_log, "lmtp.deferred"))
                                   for m in msgs), "lmtp.deferred for each message"),
              "the IMS defers the delivery of every message while Dovecot is down")
        time.sleep(1.5)  # a retry or two (retry_max 2s) while Dovecot is still down
        acked = [e.get("msg") for e in events(ims_log, "ack.sent")]
        check(not any(m in acked for m in msgs), "no ack was sent for them")
        check(all(all_pulled(alice_config, m, pulled=False) for m in msgs),
              "im2k status: not pulled while Dovecot is down")
        check(run([script, "start", bed, "imap.beta.test"]).returncode == 0, "Dovecot started")
        for m in msgs:
            check(wait_for(lambda: landed(bob, m) >= 1 and landed(carol, m) >= 1,
                           "message " + m), "message " + m + " lands once Dovecot is back")
        check(wait_for(lambda: all(all_pulled(alice_config, m) for m in msgs), "acks"),
              "then every pull is acked")
        time.sleep(1)  # a duplicate hand-over would have come by now
        counts = [(landed(bob, m), landed(carol, m)) for m in msgs]
        check(counts == [(1, 1)] * 3, "each message exactly once per recipient: %s" % counts)
        check(len(bob.messages()) == 4, "bob's INBOX holds the 4 messages, no more")

        # 3. The native mailbox listener is not there in lmtp mode.
        listed = run([im2k, "list", "--config", users["bob@beta.test"]["client_config"]])
        check(listed.returncode != 0 and "4651" in listed.stderr,
              "im2k list: no native mailbox listener in lmtp mode")
        return 0 if not failures else 1
    finally:
        down = run([script, "down", bed])
        if down.returncode != 0:
            print(down.stdout + down.stderr)
        if not failures and not os.environ.get("IM2K_KEEP"):
            shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    code = main()
    if failures:
        print("%d check(s) failed" % len(failures))
    sys.exit(code or (1 if failures else 0))
