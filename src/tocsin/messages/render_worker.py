"""A template worker's process: `python -m tocsin.messages.render_worker CPU_SECONDS BYTES`,
started by the cage (messages/caged.py). Each request is a template and an alert's context
as JSON; each reply is the text, or why there is none."""

from __future__ import annotations

import json

from tocsin.core.cage import serve
from tocsin.messages.context import MessageContext
from tocsin.messages.render import describe, render_text


def handle(request: bytes) -> bytes:
    job = json.loads(request)
    try:
        text = render_text(job["template"], MessageContext(**job["context"]))
    except MemoryError:
        return _reply(out_of_memory=True)
    except Exception as error:  # the template's failure is the answer, not the worker's
        return _reply(problem=describe(error))
    return _reply(text=text)


def _reply(**answer: object) -> bytes:
    return json.dumps(answer).encode()


if __name__ == "__main__":
    serve(handle)
