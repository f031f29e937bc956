"""People API: the organization's members as on-call people, their own numbers (verified by
each member themself) and their notification rules."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request

from tocsin.accounts.models import Role, Scope
from tocsin.contacts.verify import Pending, deliver
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import CODE_NOT_SENT, errors
from tocsin.http.api.schemas.people import (
    NumberIn,
    NumberOut,
    PeopleOut,
    PersonOut,
    PersonSettingsIn,
    PersonSettingsOut,
    RuleBody,
    RulesIn,
    RulesOut,
)
from tocsin.http.api.schemas.trust import CodeIn, ConsentOut, VerificationOut
from tocsin.numbers.verification import Requester
from tocsin.oncall import languages, methods, people, rules
from tocsin.oncall.people import Rule

router = APIRouter(
    prefix="/v1/orgs/{org_id}/people",
    tags=["people"],
    route_class=ApiRoute,
)


@router.get("", response_model=PeopleOut, summary="List people")
def list_people(org_id: str, caller: Caller = Depends(get_caller)) -> PeopleOut:
    """Every member, with their numbers, rules and what paging them does now. Any member, or a key
    with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        return PeopleOut(items=[PersonOut.of(p) for p in people.list_people(s, org_id=org_id)])


@router.get(
    "/{user_id}",
    response_model=PersonOut,
    summary="Get a person",
    responses=errors((404, "member_not_found", "member not found")),
)
def get_person(org_id: str, user_id: str, caller: Caller = Depends(get_caller)) -> PersonOut:
    """One member, with their numbers, rules and what paging them does now. Any member, or a key
    with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        return PersonOut.of(people.get_person(s, org_id=org_id, user_id=user_id))


@router.patch(
    "/{user_id}",
    response_model=PersonSettingsOut,
    summary="Set a member's call language",
    responses=errors(
        (404, "member_not_found", "member not found"),
        (422, "unknown_language", "unknown language 'xx': one of en, es, fr, de, pt, it, pl, uk"),
    ),
)
def change_person(
    org_id: str, user_id: str, body: PersonSettingsIn, caller: Caller = Depends(get_caller)
) -> PersonSettingsOut:
    """Set the language of the member's calls (the member themself, or an admin for them); an
    unknown code is refused with `unknown_language` and the list of languages."""
    runtime = caller.runtime
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        language = languages.set_member_language(
            s,
            org_id=org_id,
            user_id=user_id,
            language=body.language,
            actor=access.actor,
            now=runtime.clock.now(),
        )
        return PersonSettingsOut(language=language)


@router.post(
    "/{user_id}/methods",
    status_code=201,
    response_model=NumberOut,
    summary="Add a member's number",
    responses=errors(
        (404, "member_not_found", "member not found"),
        (409, "too_many_numbers", "a member may have 10 numbers"),
        (422, "number_blocked", "this number cannot be called: premium_rate"),
    ),
)
def add_number(
    org_id: str, user_id: str, body: NumberIn, caller: Caller = Depends(get_caller)
) -> NumberOut:
    """Add a voice or SMS number of the member (themself, or an admin for them), screened as a
    contact's is; it is used once the member verifies it. The member themself, or an admin for them;
    or a key with `write`."""
    runtime = caller.runtime
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        contact = methods.add_member_number(
            s,
            org_id=org_id,
            user_id=user_id,
            name=body.name,
            phone=body.phone,
            region=body.region,
            method=body.method,
            actor=access.actor,
            now=runtime.clock.now(),
            billing=runtime.billing,
            sanctioned_regions=runtime.settings.sanctioned_region_set(),
        )
        number = next(
            n
            for n in people.member_numbers(s, org_id=org_id, user_id=user_id)
            if n.id == contact.id
        )
        return NumberOut.of(number)


@router.delete(
    "/{user_id}/methods/{method_id}",
    status_code=204,
    summary="Remove a member's number",
    responses=errors(
        (404, "member_not_found", "member not found"),
        (404, "contact_not_found", "number not found"),
    ),
)
def remove_number(
    org_id: str, user_id: str, method_id: str, caller: Caller = Depends(get_caller)
) -> None:
    """Remove the number, the rules that name it and the consent it carried. The member themself, or
    an admin for them; or a key with `write`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        methods.remove_member_number(
            s,
            org_id=org_id,
            user_id=user_id,
            contact_id=method_id,
            actor=access.actor,
            now=caller.runtime.clock.now(),
        )


@router.post(
    "/{user_id}/methods/{method_id}/verify",
    status_code=202,
    response_model=VerificationOut,
    responses=errors(
        (404, "member_not_found", "member not found"),
        (404, "contact_not_found", "number not found"),
        (403, "member_verifies_own_number", "only the member may verify their number"),
        (429, "verification_too_soon", "a code was sent a moment ago"),
        CODE_NOT_SENT,
    ),
    summary="Send a member's number a code",
)
async def send_code(
    org_id: str,
    user_id: str,
    method_id: str,
    request: Request,
    caller: Caller = Depends(get_caller),
) -> VerificationOut:
    """Send a 6-digit code to the member's number (a text to an SMS number, a call to a voice
    one). Only the member themself may ask: 403 `member_verifies_own_number` for anyone else."""
    runtime = caller.runtime
    user_agent = request.headers.get("user-agent")

    def issue() -> Pending:
        with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, acc):
            return methods.send_member_code(
                s,
                runtime,
                org_id=org_id,
                user_id=user_id,
                contact_id=method_id,
                channel=None,
                requester=Requester(acc.actor, user_agent),
                now=runtime.clock.now(),
            )

    pending = await asyncio.to_thread(issue)
    await deliver(runtime, pending)
    return VerificationOut.of(pending.issued.verification)


@router.post(
    "/{user_id}/methods/{method_id}/verify/confirm",
    response_model=ConsentOut,
    summary="Confirm a member's number",
    responses=errors(
        (404, "member_not_found", "member not found"),
        (404, "contact_not_found", "number not found"),
        (403, "member_verifies_own_number", "only the member may verify their number"),
        (422, "verification_code_wrong", "that code is not right"),
    ),
)
def confirm_code(
    org_id: str,
    user_id: str,
    method_id: str,
    body: CodeIn,
    request: Request,
    caller: Caller = Depends(get_caller),
) -> ConsentOut:
    """The member types back the code: their consent is recorded and the number is used for
    paging them. The member themself only."""
    runtime = caller.runtime
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        result, record = methods.confirm_member_code(
            s,
            runtime,
            org_id=org_id,
            user_id=user_id,
            contact_id=method_id,
            code=body.code,
            verification_id=body.verification_id,
            actor=access.actor,
            user_agent=request.headers.get("user-agent"),
            now=runtime.clock.now(),
        )
        if record is not None:
            return ConsentOut.model_validate(record)
    # Outside the transaction, so the wrong guess it counted is kept.
    refusal = result.error()
    if refusal is None:
        raise RuntimeError("a confirmed code recorded no consent")
    raise refusal


@router.get(
    "/{user_id}/rules",
    response_model=RulesOut,
    summary="Get a member's notification rules",
    responses=errors((404, "member_not_found", "member not found")),
)
def get_rules(org_id: str, user_id: str, caller: Caller = Depends(get_caller)) -> RulesOut:
    """Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        person = people.get_person(s, org_id=org_id, user_id=user_id)
        return RulesOut(rules=[_body(rule) for rule in person.rules])


@router.put(
    "/{user_id}/rules",
    response_model=RulesOut,
    summary="Set a member's notification rules",
    responses=errors(
        (404, "member_not_found", "member not found"),
        (404, "contact_not_found", "number not found"),
        (409, "rule_channel_mismatch", "the rule's method is not the number's"),
        (409, "email_unverified", "e-mail rules need a verified address"),
    ),
)
def set_rules(
    org_id: str, user_id: str, body: RulesIn, caller: Caller = Depends(get_caller)
) -> RulesOut:
    """Replace the member's rules (themself, or an admin for them). The member themself, or an admin
    for them; or a key with `write`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        saved = rules.set_rules(
            s,
            org_id=org_id,
            user_id=user_id,
            rules=[Rule(r.method, r.contact_id, r.delay_minutes) for r in body.rules],
            actor=access.actor,
            now=caller.runtime.clock.now(),
        )
        return RulesOut(rules=[_body(rule) for rule in saved])


def _body(rule: Rule) -> RuleBody:
    return RuleBody(
        method=rule.method, contact_id=rule.contact_id, delay_minutes=rule.delay_minutes
    )
