"""What a call says: an endpoint's template (or the default for the alert's sender), rendered in
a sandbox inside a caged worker process, cleaned for speech and cut to length."""

from tocsin.messages.context import MessageContext
from tocsin.messages.render import (
    TemplateProblem,
    check_template,
    prepare_words,
    render_message,
)

__all__ = ["MessageContext", "TemplateProblem", "check_template", "prepare_words", "render_message"]
