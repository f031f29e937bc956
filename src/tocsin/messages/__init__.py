"""What a call says: an endpoint's template (or the default for the alert's sender), rendered in
a sandbox, cleaned for speech and cut to length."""

from tocsin.messages.render import MessageContext, TemplateProblem, check_template, render_message

__all__ = ["MessageContext", "TemplateProblem", "check_template", "render_message"]
