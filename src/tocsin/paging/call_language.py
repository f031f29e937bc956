"""Which language a call's fixed prompts are spoken in, read when its attempt is written.

The contact's language, else (when the call pages a member) the member's, else the
organization's (`telephony.prompts.resolve_language`). The attempt keeps it, so every turn of the
call, and every provider callback that asks what to say next, speaks the same one even if a
setting changes mid-call.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Membership, Organization
from tocsin.contacts.models import Contact
from tocsin.db.statements import run
from tocsin.paging.models import CallJob
from tocsin.telephony.prompts import resolve_language

_CONTACT_LANGUAGE = select(Contact.language).where(
    Contact.id == bindparam("contact_id"), Contact.org_id == bindparam("org_id")
)


def language_for_job(session: Session, job: CallJob) -> str:
    contact_language = (
        run(
            session, _CONTACT_LANGUAGE, {"contact_id": job.contact_id, "org_id": job.org_id}
        ).scalar()
        if job.contact_id
        else None
    )
    member = session.get(Membership, (job.org_id, job.user_id)) if job.user_id else None
    org = session.get(Organization, job.org_id)
    return resolve_language(
        [
            contact_language,
            member.language if member is not None else None,
            org.language if org is not None else None,
        ]
    )
