"""Administrative points. Grant: reason, points, staff login and code → confirm → card (it
signs for the grant's points and reason) → PIN → granted (or awaiting approval, above the
municipality's limit). Approvals: the awaiting grants, each approved or rejected by another
staff account."""

from __future__ import annotations

import re

from pydantic import BaseModel

from app.points.errors import PointsErrorKind
from app.points.flows.base import Effects, PointsFlow
from app.points.flows.card import CardFlow
from app.points.flows.events import (
    ApprovalsLoaded,
    Confirm,
    Decide,
    GrantEntered,
    LoadApprovals,
    LoadFailed,
    PointsEvent,
    SessionOpened,
)
from app.points.flows.view import GrantForm, Step, needs_approval
from app.points.mode import Mode
from app.points.outbox import Operation, OutboxEntry, make_entry
from app.ports import ErrorKind
from server.api.schemas import (
    ApprovalRequest,
    CardOperation,
    Grant,
    GrantRequestBody,
    OperationKind,
)

#: what the platform takes as a staff login and a PIN or TOTP code
_LOGIN = re.compile(r"[a-z][a-z0-9._-]{1,31}")
_CODE = re.compile(r"[0-9]{6,12}")


def staff_credential(login: str, code: str) -> tuple[str, str] | None:
    """The login (lower case) and code as typed, or ``None`` when they cannot be valid."""
    login, code = login.strip().lower(), code.strip()
    if _LOGIN.fullmatch(login) is None or _CODE.fullmatch(code) is None:
        return None
    return login, code


class GrantFlow(CardFlow):
    mode = Mode.GRANT

    def needs_approval(self, points: int) -> bool:
        """Whether a grant of ``points`` waits for a second staff member."""
        return needs_approval(self.view.approval_over, points)

    def start(self) -> Effects:
        return self._goto_form(Step.GRANT_FORM)

    def _on(self, event: PointsEvent) -> Effects:
        match event:
            case SessionOpened(session=session):
                self._on_session(session, Step.GRANT_CONFIRM)
                return self._grant() if self.session is not None else []
            case GrantEntered():
                return self._on_form(event)
            case Confirm():
                return self._on_confirm()
        return super()._on(event)

    def _on_form(self, event: GrantEntered) -> Effects:
        if self.step is not Step.GRANT_FORM or self.session is not None:
            return []
        staff = staff_credential(event.staff_login, event.staff_code)
        if event.points <= 0 or staff is None:
            return []
        self.view.grant_form = GrantForm(event.reason, event.points, *staff, event.note)
        return self._goto_form(Step.GRANT_CONFIRM)

    def _on_confirm(self) -> Effects:
        """The grant as confirmed: what the holder's card will sign for."""
        form = self.view.grant_form
        if self.step is not Step.GRANT_CONFIRM or self.session is not None or form is None:
            return []
        operation = CardOperation(kind=OperationKind.GRANT, points=form.points, reason=form.reason)
        return self._await_card(operation)

    def _grant(self) -> Effects:
        form = self.view.grant_form
        assert self.session is not None and form is not None
        request = GrantRequestBody(
            id=self._new_id(),
            session_id=self.session.session_id,
            points=form.points,
            reason=form.reason,
            staff_login=form.staff_login,
            staff_code=form.staff_code,
            note=form.note,
        )
        return self._send(make_entry(Operation.GRANT, request))

    def _delivered(self, entry: OutboxEntry, answer: BaseModel) -> Effects | None:
        if not isinstance(answer, Grant):
            return None
        self.view.grant = answer
        return self._done()


class ApprovalsFlow(PointsFlow):
    mode = Mode.APPROVALS

    def start(self) -> Effects:
        return self._load()

    def _on(self, event: PointsEvent) -> Effects:
        match event:
            case ApprovalsLoaded(grants=grants):
                return self._on_loaded(grants)
            case LoadFailed(kind=kind, detail=detail):
                return self._on_load_failed(kind, detail)
            case Decide():
                return self._on_decide(event)
        return super()._on(event)

    def _load(self) -> Effects:
        self._goto(Step.LOADING)
        return [LoadApprovals()]

    def _on_loaded(self, grants: list[Grant]) -> Effects:
        if self.step is not Step.LOADING:
            return []
        self.view.approvals = list(grants)
        problem, detail = self.view.problem, self.view.problem_detail
        effects = self._goto_form(Step.APPROVALS)
        self.view.problem, self.view.problem_detail = problem, detail  # of the last decision
        return effects

    def _on_load_failed(self, kind: ErrorKind, detail: str) -> Effects:
        if self.step is not Step.LOADING:
            return []
        return self._error(kind, detail)

    def _on_decide(self, event: Decide) -> Effects:
        staff = staff_credential(event.staff_login, event.staff_code)
        if self.step is not Step.APPROVALS:
            return []
        if staff is None:
            return self._problem_on(Step.APPROVALS, PointsErrorKind.STAFF_CREDENTIAL_INVALID, "")
        self.view.problem, self.view.decided = None, None
        request = ApprovalRequest(
            id=self._new_id(), staff_login=staff[0], staff_code=staff[1], approve=event.approve
        )
        return self._send(make_entry(Operation.GRANT_DECISION, request, target=event.grant_id))

    def _delivered(self, entry: OutboxEntry, answer: BaseModel) -> Effects | None:
        if not isinstance(answer, Grant):
            return None
        self.view.decided = answer
        return self._load()  # the list, without the grant just decided

    def _declined(self, operation: Operation, kind: PointsErrorKind, detail: str) -> Effects:
        effects = self._load()
        self.view.problem, self.view.problem_detail = kind, detail  # shown with the list
        return effects

    def _retry(self) -> Effects:
        return self._load()
