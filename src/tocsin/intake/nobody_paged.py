"""An alert whose route has nobody to call or tell: said on its timeline and to the owners.

A route comes out empty when the endpoint has no contacts and its rule (or default) names
none: `call_primary` or `call_all`, or `notify`, on an endpoint nobody was added to. Only
`record` means to tell nobody. Anything else is a page that was meant to reach someone and
cannot, which is the worst failure Tocsin has, so it is as loud as a step that found nobody on
call: an event on the alert and a notice to the owners, once a day per endpoint.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.core.actors import Actor

log = logging.getLogger(__name__)


def say_nobody_paged(
    session: Session,
    *,
    org_id: str,
    endpoint_id: str,
    alert_id: str,
    action: str,
    title: str,
    actor: Actor,
    now: datetime,
) -> None:
    details = {"endpoint_id": endpoint_id, "action": action, "reason": "no_contacts"}
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ALERT_NOBODY_PAGED,
        at=now,
        org_id=org_id,
        target_type="alert",
        target_id=alert_id,
        details=details,
    )
    message = (
        f'The alert "{title}" reached endpoint {endpoint_id}, whose route ({action}) has nobody '
        "to call or tell: the endpoint has no contacts. Add a contact to it, or a rule that "
        "pages a member, a schedule or a project."
    )
    log.warning("alert %s: %s", alert_id, message)
    tell_owners(
        session,
        org_id=org_id,
        kind="nobody_paged",
        period=f"{endpoint_id}:{now.date().isoformat()}",
        message=message,
        now=now,
        actor=actor,
        details={**details, "alert_id": alert_id},
    )
