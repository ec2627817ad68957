"""The requests that go through the outbox: each operation's path, request and answer
models, and the call of the signed client that sends it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel

from server.api.schemas import (
    ApprovalRequest,
    Grant,
    GrantRequestBody,
    Payment,
    PaymentRequest,
    RedeemRequest,
    Redemption,
    Refund,
    RefundRequest,
    ResolveRequest,
    VoucherInfo,
    VoucherRequest,
)


class Operation(StrEnum):
    """The requests that go through the outbox."""

    PAYMENT = "payment"
    PAYMENT_POST = "payment_post"
    PAYMENT_VOID = "payment_void"
    REFUND = "refund"
    GRANT = "grant"
    GRANT_DECISION = "grant_decision"
    VOUCHER = "voucher"
    REDEEM = "redeem"


class PointsApi(Protocol):
    """The calls of :class:`app.client.PlatformClient` the outbox sends."""

    def create_payment(self, request: PaymentRequest) -> Payment: ...

    def post_payment(self, payment_id: str, request: ResolveRequest) -> Payment: ...

    def void_payment(self, payment_id: str, request: ResolveRequest) -> Payment: ...

    def refund_payment(self, payment_id: str, request: RefundRequest) -> Refund: ...

    def create_grant(self, request: GrantRequestBody) -> Grant: ...

    def decide_grant(self, grant_id: str, request: ApprovalRequest) -> Grant: ...

    def issue_voucher(self, request: VoucherRequest) -> VoucherInfo: ...

    def redeem_voucher(self, request: RedeemRequest) -> Redemption: ...


@dataclass(frozen=True)
class _Spec:
    """How one operation is sent: its path, request and answer models."""

    path: str
    request: type[BaseModel]
    answer: type[BaseModel]
    call: Callable[[PointsApi, str | None, BaseModel], BaseModel]


def _target(target: str | None) -> str:
    if not target:
        raise ValueError("this operation needs a target id")
    return target


SPECS: dict[Operation, _Spec] = {
    Operation.PAYMENT: _Spec(
        "/payments",
        PaymentRequest,
        Payment,
        lambda api, t, r: api.create_payment(PaymentRequest.model_validate(r)),
    ),
    Operation.PAYMENT_POST: _Spec(
        "/payments/{target}/post",
        ResolveRequest,
        Payment,
        lambda api, t, r: api.post_payment(_target(t), ResolveRequest.model_validate(r)),
    ),
    Operation.PAYMENT_VOID: _Spec(
        "/payments/{target}/void",
        ResolveRequest,
        Payment,
        lambda api, t, r: api.void_payment(_target(t), ResolveRequest.model_validate(r)),
    ),
    Operation.REFUND: _Spec(
        "/payments/{target}/refunds",
        RefundRequest,
        Refund,
        lambda api, t, r: api.refund_payment(_target(t), RefundRequest.model_validate(r)),
    ),
    Operation.GRANT: _Spec(
        "/grants",
        GrantRequestBody,
        Grant,
        lambda api, t, r: api.create_grant(GrantRequestBody.model_validate(r)),
    ),
    Operation.GRANT_DECISION: _Spec(
        "/grants/{target}/decision",
        ApprovalRequest,
        Grant,
        lambda api, t, r: api.decide_grant(_target(t), ApprovalRequest.model_validate(r)),
    ),
    Operation.VOUCHER: _Spec(
        "/vouchers",
        VoucherRequest,
        VoucherInfo,
        lambda api, t, r: api.issue_voucher(VoucherRequest.model_validate(r)),
    ),
    Operation.REDEEM: _Spec(
        "/vouchers/redeem",
        RedeemRequest,
        Redemption,
        lambda api, t, r: api.redeem_voucher(RedeemRequest.model_validate(r)),
    ),
}
