"""The review web app (Starlette): grading one written question at a time for the whole class.

Access: every route answers 403 without the token, given once in the URL (``?token=``, as Jupyter does; it is
then kept in an HttpOnly, SameSite=Strict cookie) or in an ``X-Grader-Token`` header. Writes are JSON POSTs
that also carry the page's CSRF token in ``X-CSRF-Token`` and come from the app's own origin: a page of
another site can neither read the token nor send such a request. Pages run only the app's own script (a
nonce in the Content-Security-Policy), load nothing from elsewhere, and render answers as the report does
(markdown, math as MathML, embedded images; raw HTML escaped), so nothing from an answer runs.

Every grade is committed to the gradebook before the answer to its POST: a crash or ``kill -9`` right after
loses nothing. The outputs (reports, grades.csv, the dashboard) are rewritten a moment after the last save,
and when the server stops.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import threading
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from grader.review.state import AnswerCache, groups_with_answers, progress, question_state
from grader.submission import UsageError
from grader.writers.html_report import answer_images, markdown_html
from grader.written.grades import ClassGrades
from grader.written.store import Conflict, HandGrades, NewGrade

COOKIE = "grader_review"
MAX_BODY = 256 * 1024
MAX_COMMENT = 20_000
REWRITE_DELAY_S = 3.0
"""Seconds after the last save before the outputs are rewritten."""

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def _json_for_script(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>``, no HTML comment)."""
    text = json.dumps(value, separators=(",", ":"))
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))


_env.filters["script_json"] = _json_for_script


class TokenGate:
    """ASGI middleware: 403 for any request without the token; the URL's token becomes a cookie."""

    def __init__(self, app: ASGIApp, token: str):
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        given = request.query_params.get("token") or request.headers.get("x-grader-token") or request.cookies.get(
            COOKIE) or ""
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            await PlainTextResponse("403 Forbidden: open the URL with its token, as `grader review` printed it",
                                    status_code=403)(scope, receive, send)
            return
        if request.query_params.get("token") and request.cookies.get(COOKIE) != self.token:
            async def with_cookie(message):
                if message["type"] == "http.response.start":
                    cookie = "%s=%s; Path=/; HttpOnly; SameSite=Strict" % (COOKIE, self.token)
                    message.setdefault("headers", []).append((b"set-cookie", cookie.encode()))
                await send(message)
            await self.app(scope, receive, with_cookie)
            return
        await self.app(scope, receive, send)


class ReviewApp:
    """The routes, over one class (``ClassSession``), saving as ``grader``."""

    def __init__(self, session, token: str, grader: str, rewrite_delay_s: float = REWRITE_DELAY_S,
                 on_rewrite: Callable[[], None] | None = None):
        self.session, self.token, self.grader = session, token, grader
        self.csrf = hmac.new(token.encode(), b"grader-review-csrf", hashlib.sha256).hexdigest()
        self.answers = AnswerCache(session)
        self.store = HandGrades(session.gradebook)
        self.rewrite_delay_s = rewrite_delay_s
        self._timer: threading.Timer | None = None
        self._timer_lock = threading.Lock()
        self._rewrite = on_rewrite or session.rewrite

    # ------------------------------------------------------------------ plumbing
    def grades(self) -> ClassGrades:
        return self.session.grades()

    def page(self, template: str, **values: Any) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        html = _env.get_template(template).render(nonce=nonce, csrf=self.csrf, **values)
        return HTMLResponse(html, headers={
            "Content-Security-Policy": "default-src 'none'; script-src 'nonce-%s'; style-src 'unsafe-inline'; "
                                       "img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                                       "frame-ancestors 'none'" % nonce,
            **_PRIVATE})

    def schedule_rewrite(self) -> None:
        """Rewrite the outputs once no save has come for a moment."""
        with self._timer_lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.rewrite_delay_s, self.flush)
            self._timer.daemon = True
            self._timer.start()

    def flush(self) -> None:
        """Rewrite the outputs now (pending saves included)."""
        with self._timer_lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self._rewrite()

    # ------------------------------------------------------------------ pages
    async def index(self, request: Request) -> Response:
        grades = self.grades()
        answers = self.answers.get(grades)
        rows = [(q, progress(q, answers, grades)) for q in grades.questions]
        return self.page("index.html.j2", questions=rows, students=len(answers),
                         title=self.session.config.assignment.name or "Written answers")

    async def question(self, request: Request) -> Response:
        grades = self.grades()
        q = grades.question(request.path_params["qid"])
        if q is None:
            return PlainTextResponse("no written question %r" % request.path_params["qid"], status_code=404)
        answers = self.answers.get(grades)
        shown = [{"key": g.key, "kind": g.kind, "answer": a.row or {},
                  "html": markdown_html(a.text, answer_images(a.row or {})) if a.text else "",
                  "prompt": markdown_html(str((a.row or {}).get("prompt") or ""))}
                 for g, a in groups_with_answers(q, answers)]
        order = [x.id for x in grades.questions]
        at = order.index(q.id)
        return self.page("question.html.j2", q=q, shown=shown, state=question_state(q, answers, grades),
                         previous=order[at - 1] if at else None, next=order[at + 1] if at + 1 < len(order) else None)

    async def state(self, request: Request) -> Response:
        grades = self.grades()
        q = grades.question(request.path_params["qid"])
        if q is None:
            return JSONResponse({"error": "no such question"}, status_code=404)
        return JSONResponse(question_state(q, self.answers.get(grades), grades), headers=_PRIVATE)

    async def history(self, request: Request) -> Response:
        entries = self.store.history(request.path_params["submission"], request.path_params["qid"])
        return JSONResponse([e.to_json() for e in entries], headers=_PRIVATE)

    # ------------------------------------------------------------------ the one write
    async def save(self, request: Request) -> Response:
        refused = self.refuse_write(request)
        if refused:
            return refused
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "request too large"}, status_code=413)
        try:
            data = json.loads(body)
            grades = self.grades()
            q = grades.question(str(data["question"]))
            if q is None:
                raise ValueError("no written question %r" % data["question"])
            items = [str(i) for i in data.get("items") or []]
            unknown = [i for i in items if q.item(i) is None]
            if unknown:
                raise ValueError("no rubric item %r in %s" % (unknown[0], q.id))
            adjustment = float(data.get("adjustment") or 0.0)
            if not math.isfinite(adjustment):
                raise ValueError("the adjustment is not a number")
            comment = str(data.get("comment") or "")[:MAX_COMMENT]
            members = data["members"]
            if not isinstance(members, list) or not members:
                raise ValueError("no answer to grade")
            answers = self.answers.get(grades)
            new = []
            for m in members:
                submission = str(m["submission"])
                if submission not in answers:
                    raise ValueError("no submission %r" % submission)
                replaces = m.get("replaces")
                new.append(NewGrade(submission, q.id, answers[submission][q.id].digest, tuple(items), adjustment,
                                    comment, replaces=int(replaces) if replaces is not None else None))
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": str(exc).strip("'\"")}, status_code=400)
        try:
            self.store.save(new, self.grader, overwrite=bool(data.get("overwrite")))
        except Conflict as exc:
            grades = self.grades()
            return JSONResponse({"error": "conflict", "message": str(exc), "current": [
                {**e.to_json(), "submission": e.submission} for e in exc.current],
                "state": question_state(q, self.answers.get(grades), grades)}, status_code=409)
        self.schedule_rewrite()
        grades = self.grades()
        return JSONResponse(question_state(q, self.answers.get(grades), grades), headers=_PRIVATE)

    def refuse_write(self, request: Request) -> Response | None:
        """403 unless the request carries the CSRF token, is JSON and comes from this app's own origin."""
        if not hmac.compare_digest(request.headers.get("x-csrf-token", "").encode(), self.csrf.encode()):
            return JSONResponse({"error": "missing or wrong CSRF token"}, status_code=403)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return JSONResponse({"error": "JSON expected"}, status_code=415)
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.headers.get("host"):
            return JSONResponse({"error": "cross-origin request refused"}, status_code=403)
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return JSONResponse({"error": "cross-site request refused"}, status_code=403)
        return None


async def _usage_error(request: Request, exc: Exception) -> Response:
    """A course file made invalid while the app runs: say so (the page works again once it is fixed)."""
    return PlainTextResponse("grader review: %s" % exc, status_code=500)


_PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY"}


def create_app(session, token: str, grader: str, **kwargs: Any) -> Starlette:
    """The Starlette application over ``session`` (a ``ClassSession``); ``app.state.review`` is the
    ``ReviewApp``."""
    review = ReviewApp(session, token, grader, **kwargs)
    routes = [
        Route("/", review.index),
        Route("/q/{qid}", review.question),
        Route("/api/q/{qid}", review.state),
        Route("/api/history/{qid}/{submission}", review.history),
        Route("/api/grade", review.save, methods=["POST"]),
        Mount("/files", app=StaticFiles(directory=str(session.out_dir), check_dir=False), name="files"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(TokenGate, token=token)],
                    exception_handlers={UsageError: _usage_error})
    app.state.review = review
    return app
