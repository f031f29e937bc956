"""A template worker's process: `python -m tocsin.messages.render_worker CPU_SECONDS BYTES`,
started by the cage (messages/caged.py). Each request is a template and an alert's context
as JSON; each reply is the text, or why there is none."""

from __future__ import annotations

import json

from tocsin.core.cage import serve
from tocsin.messages.context import MessageContext
from tocsin.messages.render import describe, render_text

_PROBLEM_CHARACTERS = 1_000


def handle(request: bytes) -> bytes:
    job = json.loads(request)
    try:
        text = render_text(job["template"], MessageContext(**job["context"]))
    except MemoryError:
        return _reply(out_of_memory=True)
    except Exception as error:  # the template's failure is the answer, not the worker's
        return _reply(problem=describe(error)[:_PROBLEM_CHARACTERS])
    return _reply(text=text)


def _reply(**answer: object) -> bytes:
    # UTF-8, not \u escapes (up to 12 bytes a character): the reply must fit the cage's cap.
    return json.dumps(answer, ensure_ascii=False).encode("utf-8", "replace")


if __name__ == "__main__":
    serve(handle)
