"""Similar submissions, per function, for staff: ``grader similarity`` and the class step of ``grader grade``.

The pipeline, one module a step:

* ``extract``: each function's student-written statements (the skeleton's taken out), by syntax tree;
* ``normalise``: those statements as normalised tokens (names, literals, formatting, order);
* ``fingerprint``: winnowed fingerprints of the tokens (copydetect), the starter's k-grams as boilerplate;
* ``documents``: a submission or corpus entry as its functions' fingerprints;
* ``index``: every pair's score from an inverted index (sparse products), weighted by document frequency;
* ``results``: the ranked pairs with their matching lines (``similarity.json``), ``page``: the staff page;
* ``command``: the command and the ``grade`` step.

Instructor-only: none of it ships in the student package (``grader dist`` leaves it out), and nothing of it
reaches a student's report.
"""

THRESHOLD = 0.5
"""Pairs scoring this or more are flagged (``docs/similarity.md`` says how it was chosen)."""
TOP = 50
"""Pairs listed at least, flagged or not (the highest first), so that what is close to the threshold shows."""
