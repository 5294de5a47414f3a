"""The tests' SMTP sink on aiosmtpd (roster_testkit::aiosmtpd::sink_command, read_sink).

  sink.py serve HOST PORT MAILDIR [--auth USER:PASSWORD] [--reject ADDRESS]... [--delay SECONDS]
      Writes every mail it gets into MAILDIR (as aiosmtpd's Mailbox handler does), for what
      `python3 -m aiosmtpd` cannot do from its command line: AUTH PLAIN/LOGIN on a plain
      connection with --auth (aiosmtpd offers AUTH only after STARTTLS unless
      auth_require_tls=False), refusing the --reject recipients with 550, and taking each mail
      SECONDS late with --delay (so a test can stop a sender in the middle of a run). Prints
      "ready" once it listens; runs until killed.

  sink.py read MAILDIR
      Every mail in MAILDIR as one JSON list, read with Python's own email parser: the Maildir
      key, envelope sender and recipients, headers, the content type, the text and HTML bodies,
      attachments (their bytes in base64, and as text).
"""

import argparse
import asyncio
import base64
import email
import email.policy
import json
import mailbox
import signal
import sys


def serve(args):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox
    from aiosmtpd.smtp import AuthResult, LoginPassword

    rejected = {a.lower() for a in args.reject}
    delay = args.delay

    class Sink(Mailbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.lower() in rejected:
                return "550 5.1.1 <%s>: no such user here" % address
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            if delay > 0:
                await asyncio.sleep(delay)
            return await super().handle_DATA(server, session, envelope)

    kwargs = {}
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

        kwargs = dict(authenticator=authenticator, auth_require_tls=False, auth_required=True)

    # Blocked before the server's thread starts, so only sigwait below sees them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    controller = Controller(Sink(args.maildir), hostname=args.host, port=args.port, **kwargs)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


def body(parsed, kind):
    part = parsed.get_body((kind,))
    return part.get_content() if part is not None else None


def attachment(part):
    payload = part.get_payload(decode=True)
    return {
        "file_name": part.get_filename(),
        "content_type": part.get_content_type(),
        "bytes_base64": base64.b64encode(payload).decode(),
        "text": payload.decode("utf-8", "replace"),
    }


def read(args):
    mails = []
    for key, message in mailbox.Maildir(args.maildir, create=False).items():
        parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
        attachments = [attachment(a) for a in parsed.iter_attachments()] if parsed.is_multipart() else []
        mails.append(
            {
                "key": key,
                "mail_from": parsed["X-MailFrom"],
                "rcpt_to": [r.strip() for r in str(parsed["X-RcptTo"]).split(",")],
                "from": str(parsed["From"]),
                "to": str(parsed["To"]),
                "subject": str(parsed["Subject"]),
                "message_id": str(parsed["Message-ID"]),
                "content_type": parsed.get_content_type(),
                "text": body(parsed, "plain"),
                "html": body(parsed, "html"),
                "attachments": attachments,
            }
        )
    json.dump(mails, sys.stdout)


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("serve")
    s.add_argument("host")
    s.add_argument("port", type=int)
    s.add_argument("maildir")
    s.add_argument("--auth")
    s.add_argument("--reject", action="append", default=[])
    s.add_argument("--delay", type=float, default=0.0)
    r = commands.add_parser("read")
    r.add_argument("maildir")
    args = parser.parse_args()
    serve(args) if args.command == "serve" else read(args)


if __name__ == "__main__":
    main()
