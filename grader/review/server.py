"""Running the review app: bind the address, print the URL with its token, serve with uvicorn until Ctrl-C,
then write the outputs once more."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import sys

from grader.submission import UsageError

TOKEN_ENV = "GRADER_REVIEW_TOKEN"


def serve(session, host: str = "127.0.0.1", port: int = 8231, token: str | None = None,
          grader: str = "staff") -> int:
    """Serve the review pages of ``session`` (a ``ClassSession``) on ``host:port``; returns the exit code."""
    import uvicorn

    from grader.review.app import create_app

    token = token or os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError("cannot listen on %s:%d (%s)" % (host, port, exc.strerror)) from None
    bound = sock.getsockname()[1]
    session.rewrite()  # the outputs agree with the gradebook (and the course file) before anyone grades
    app = create_app(session, token, grader)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    previous = {sig: signal.signal(sig, _stopper(server)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:  # from here on, Ctrl-C or SIGTERM at any moment stops the server and the outputs are written once more
        shown = "[%s]" % host if ":" in host else host
        print("grader review: %d submission(s), grading as %s; open\n    http://%s:%d/?token=%s\n(Ctrl-C stops; "
              "every grade is saved to %s as it is made)" % (len(session.gradebook.graded_attempts()), grader, shown,
                                                             bound, token, session.gradebook.path), flush=True)
        if host not in ("127.0.0.1", "localhost", "::1"):
            print("grader review: listening on %s: anyone who can reach this port and has the URL can grade"
                  % host, file=sys.stderr, flush=True)
        if not server.should_exit:
            server.run(sockets=[sock])  # uvicorn handles the signals while it runs, then raises them again here
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        app.state.review.flush()
        sock.close()
    print("grader review: stopped; outputs rewritten in %s" % session.out_dir, flush=True)
    return 0


def _stopper(server):
    """A signal handler that asks ``server`` to stop (a second Ctrl-C: at once, as uvicorn's own does)."""
    def stop(signum, frame) -> None:
        if server.should_exit and signum == signal.SIGINT:
            server.force_exit = True
        server.should_exit = True
    return stop
