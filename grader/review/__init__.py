"""``grader review``: the staff's web app for grading the written answers (Starlette, served by uvicorn).

``state`` computes what the pages show from the gradebook, ``app`` is the web application (access token,
CSRF-safe writes, a strict Content-Security-Policy), ``server`` binds and runs it, ``templates/`` holds the
pages."""
