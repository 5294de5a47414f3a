"""The SMTP sink of the CLI mail tests (crates/cli/tests/sink/mod.rs), on aiosmtpd.

  sink.py serve HOST PORT MAILDIR [--delay SECONDS]
      Writes every mail it gets into MAILDIR (as aiosmtpd's Mailbox handler does), each one
      SECONDS late when --delay is given, so a test can stop a sender in the middle of a run.
      Prints "ready" once it listens; runs until killed.

  sink.py read MAILDIR
      Every mail in MAILDIR as one JSON list, read with Python's own email parser: envelope
      recipients, headers, the content type, the text and HTML bodies, attachments (as text).
"""

import argparse
import asyncio
import email
import email.policy
import json
import mailbox
import signal
import sys


def serve(args):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    delay = args.delay

    class Sink(Mailbox):
        async def handle_DATA(self, server, session, envelope):
            if delay > 0:
                await asyncio.sleep(delay)
            return await super().handle_DATA(server, session, envelope)

    # Blocked before the server's thread starts, so only sigwait below sees them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    controller = Controller(Sink(args.maildir), hostname=args.host, port=args.port)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


def body(parsed, kind):
    part = parsed.get_body((kind,))
    return part.get_content() if part is not None else None


def read(args):
    mails = []
    for key, message in mailbox.Maildir(args.maildir, create=False).items():
        parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
        attachments = []
        if parsed.is_multipart():
            for a in parsed.iter_attachments():
                attachments.append(
                    {
                        "file_name": a.get_filename(),
                        "content_type": a.get_content_type(),
                        "text": a.get_payload(decode=True).decode("utf-8", "replace"),
                    }
                )
        mails.append(
            {
                "key": key,
                "rcpt_to": [r.strip() for r in str(parsed["X-RcptTo"]).split(",")],
                "from": str(parsed["From"]),
                "to": str(parsed["To"]),
                "subject": str(parsed["Subject"]),
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
    s.add_argument("--delay", type=float, default=0.0)
    r = commands.add_parser("read")
    r.add_argument("maildir")
    args = parser.parse_args()
    serve(args) if args.command == "serve" else read(args)


if __name__ == "__main__":
    main()
