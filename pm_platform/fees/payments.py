"""Online payments through a payment provider, for any purpose (property fees, parking exits …).

A domain creates a `PaymentOrder` for what is to be paid and registers a handler for its
purpose; the provider's signed callback (POST /api/v1/payments/callbacks/{provider}) marks
the order paid and calls the handler once, in the same transaction. Every callback is
checked: signature, timestamp window, amount and currency. The same callback twice, or the
same provider transaction id twice, changes nothing the second time.

    order = create_payment_order(session, actor, purpose="parking.exit", reference_id=session_id,
                                 compound_id=cid, amount_fen=500, description="停车费")
    register_purpose_handler("parking.exit", lambda session, order: ...)

The "sandbox" provider stands in for a real one (WeChat Pay, Alipay, UnionPay) in the demo and
the tests only: it exists when `PAYMENT_SANDBOX` is on, which core/secrets_config.py allows only
with local secrets, never in a deployment. `sign_sandbox_callback` signs a callback the way the
provider would, and `complete_sandbox_payment` plays the provider paying an order. With no
provider enabled, nothing can be paid online: `open_payment_order` refuses with 503.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pm_platform.core import audit, clock
from pm_platform.core.errors import Conflict, NotFound, Unauthorized, Unavailable, ValidationError
from pm_platform.core.models import User
from pm_platform.core.money import MAX_FEN
from pm_platform.db import Base, CreatedAt, Fen, intpk

CURRENCY = "CNY"
CALLBACK_WINDOW_SECONDS = 300
ORDER_REUSE_SECONDS = 2 * 3600  # a checkout stays payable this long (WeChat Pay's default expiry)  # a callback older (or further ahead) than this is refused
SIGNATURE_HEADER = "X-Sandbox-Signature"
TIMESTAMP_HEADER = "X-Sandbox-Timestamp"


class PaymentOrder(Base):
    """Something to be paid online: what for (purpose + reference_id), how much, and the
    provider's transaction once paid."""

    __tablename__ = "payment_orders"
    __table_args__ = (
        UniqueConstraint("provider", "external_txn_id"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'paid', 'failed')", name="status"),
    )

    id: Mapped[intpk]
    order_no: Mapped[str] = mapped_column(String(40), unique=True)
    purpose: Mapped[str] = mapped_column(String(50))
    reference_id: Mapped[int]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    amount_fen: Mapped[Fen]
    currency: Mapped[str] = mapped_column(String(3), default=CURRENCY)
    description: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    provider: Mapped[str] = mapped_column(String(30))
    external_txn_id: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]
    paid_at: Mapped[dt.datetime | None]


Handler = Callable[[Session, PaymentOrder], object]
_handlers: dict[str, Handler] = {}


def register_purpose_handler(purpose: str, handler: Handler) -> None:
    """`handler(session, order)` runs once per paid order of this purpose, inside the callback's
    transaction (so a failing handler leaves the order unpaid, and the provider retries)."""
    _handlers[purpose] = handler


_ORDERS = PaymentOrder.__table__


def open_payment_order(session: Session, actor: User | None, *, purpose: str, reference_id: int,
                       compound_id: int, amount_fen: int, description: str) -> str:
    """A pending order, written without loading it back (a parking gate asks for one at every
    priced exit); its order number. The caller has checked that `actor` may pay for `reference_id`."""
    if purpose not in _handlers:
        raise ValidationError("no handler for payment purpose {purpose!r}", "purpose", purpose=purpose)
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or not 0 < amount_fen <= MAX_FEN:
        raise ValidationError("amount must be a positive whole number of fen, up to ten billion yuan", "amount_fen")
    provider = default_provider()
    if provider is None:
        raise Unavailable("online payment is not available here; please pay at the property office")
    order_no = f"PO{clock.now_utc():%Y%m%d%H%M%S}{secrets.token_hex(8).upper()}"
    session.execute(insert(_ORDERS), {
        "order_no": order_no, "purpose": purpose, "reference_id": reference_id, "compound_id": compound_id,
        "amount_fen": amount_fen, "currency": CURRENCY, "description": (description or "")[:200],
        "status": "pending", "provider": provider, "created_by": actor.id if actor else None})
    return order_no


def reusable_order(session: Session, actor: User | None, *, purpose: str, reference_id: int,
                   amount_fen: int) -> PaymentOrder | None:
    """The payer's pending order for the same thing and amount, still inside the provider's
    checkout window: a second press of "pay" returns it instead of a second order that could be
    paid twice. Callers lock the thing paid for first, so two presses at once find one order."""
    since = clock.now_utc() - dt.timedelta(seconds=ORDER_REUSE_SECONDS)
    return session.scalar(select(PaymentOrder).where(
        PaymentOrder.purpose == purpose, PaymentOrder.reference_id == reference_id,
        PaymentOrder.amount_fen == amount_fen, PaymentOrder.status == "pending",
        PaymentOrder.provider == default_provider(),
        PaymentOrder.created_by == (actor.id if actor else None), PaymentOrder.created_at >= since,
    ).order_by(PaymentOrder.id.desc()).limit(1))


def create_payment_order(session: Session, actor: User | None, **order) -> PaymentOrder:
    """A pending order (see open_payment_order), loaded."""
    return get_order(session, open_payment_order(session, actor, **order))


def enabled_providers() -> dict[str, type]:
    """The providers this deployment may take payments through (the sandbox only when enabled)."""
    return {SandboxProvider.name: SandboxProvider} if current_app.config.get("PAYMENT_SANDBOX") else {}


def default_provider() -> str | None:
    """The provider new orders go to, or None when online payment is not set up."""
    enabled = enabled_providers()
    wanted = current_app.config.get("PAYMENT_PROVIDER")
    if wanted:
        return wanted if wanted in enabled else None
    return next(iter(enabled), None)


def checkout_url(order: PaymentOrder, return_to: str = "") -> str:
    """Where the payer goes to pay `order` (a path on this site; `return_to` is where they come
    back to, a path too). The sandbox's checkout page here; a real provider's page later."""
    from flask import url_for

    return url_for("fees.sandbox_checkout", order_no=order.order_no, next=return_to or None)


def get_order(session: Session, order_no: str) -> PaymentOrder:
    order = session.scalar(select(PaymentOrder).where(PaymentOrder.order_no == order_no))
    if order is None:
        raise NotFound("payment order {order} not found", order=order_no)
    return order


# --- callbacks ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CallbackData:
    """What a verified callback says happened."""

    order_no: str
    txn_id: str
    amount_fen: int
    currency: str
    status: str  # "paid" or "failed"


class SandboxProvider:
    """Signs HMAC-SHA256 over `timestamp + "." + raw body`, hex, in X-Sandbox-Signature."""

    name = "sandbox"

    @staticmethod
    def secret() -> bytes:
        # its own secret, never derived from another (core/secrets_config.py requires it)
        return current_app.config["PAYMENT_SANDBOX_SECRET"].encode()

    @classmethod
    def signature(cls, timestamp: str, raw_body: bytes) -> str:
        return hmac.new(cls.secret(), timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()

    @classmethod
    def verify(cls, headers, raw_body: bytes, now: dt.datetime) -> CallbackData:
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        signature = headers.get(SIGNATURE_HEADER, "")
        if not timestamp.isdigit() or not signature:
            raise Unauthorized("missing {timestamp} or {signature}", code="bad_signature",
                               timestamp=TIMESTAMP_HEADER, signature=SIGNATURE_HEADER)
        if not hmac.compare_digest(cls.signature(timestamp, raw_body), signature):
            raise Unauthorized("the callback's signature does not match", code="bad_signature")
        if abs(now.timestamp() - int(timestamp)) > CALLBACK_WINDOW_SECONDS:
            raise Unauthorized("the callback's timestamp is outside the allowed window", code="stale_callback")
        try:
            body = json.loads(raw_body)
            data = CallbackData(order_no=str(body["order_no"]), txn_id=str(body["txn_id"]),
                                amount_fen=body["amount_fen"], currency=str(body["currency"]),
                                status=str(body.get("status", "paid")))
        except (ValueError, KeyError, TypeError):
            raise ValidationError("the callback body is not a valid payment notice", "body") from None
        if not data.txn_id or not isinstance(data.amount_fen, int) or data.status not in ("paid", "failed"):
            raise ValidationError("the callback body is not a valid payment notice", "body")
        return data


def sign_sandbox_callback(payload: dict, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """(raw body, headers) of a callback as the sandbox provider would send it."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    stamp = str(int(clock.now_utc().timestamp()) if timestamp is None else timestamp)
    return raw, {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: SandboxProvider.signature(stamp, raw),
                 "Content-Type": "application/json"}


def handle_callback(session: Session, provider: str, headers, raw_body: bytes) -> PaymentOrder:
    """Verify a provider's callback and apply it once. Raises a DomainError for a callback that
    must not be trusted or does not match its order; nothing is written then."""
    verifier = enabled_providers().get(provider)
    if verifier is None:
        raise NotFound("unknown payment provider {provider!r}", provider=provider)
    data = verifier.verify(headers, raw_body, clock.now_utc())
    query = select(PaymentOrder).where(PaymentOrder.order_no == data.order_no, PaymentOrder.provider == provider)
    order = session.scalar(query.with_for_update())  # two deliveries at once: the second waits
    if order is None:
        raise NotFound("payment order {order} not found", "order_no", order=data.order_no)
    if data.currency != order.currency:
        raise ValidationError("currency {currency} does not match the order's {expected}", "currency",
                              currency=data.currency, expected=order.currency)
    if data.amount_fen != order.amount_fen:
        raise ValidationError("amount {amount} does not match the order's {expected}", "amount_fen",
                              amount=data.amount_fen, expected=order.amount_fen)
    if order.status == "paid":
        if order.external_txn_id == data.txn_id:
            return order  # the same notice again: already applied
        raise Conflict("order {order} was already paid by another transaction", "txn_id", order=order.order_no)
    if data.status == "failed":
        order.status = "failed"
        session.flush()
        return order
    if session.scalar(select(PaymentOrder.id).where(PaymentOrder.provider == provider,
                                                    PaymentOrder.external_txn_id == data.txn_id)):
        raise Conflict("transaction {txn} already paid another order", "txn_id", txn=data.txn_id)
    order.status, order.external_txn_id, order.paid_at = "paid", data.txn_id, clock.now_utc()
    session.flush()
    audit.record(session, None, "payment_order.paid", "payment_order", order.id,
                 {"order_no": order.order_no, "provider": provider, "txn_id": data.txn_id,
                  "amount_fen": order.amount_fen, "purpose": order.purpose})
    handler = _handlers.get(order.purpose)
    if handler is None:
        raise ValidationError("no handler for payment purpose {purpose!r}", "purpose", purpose=order.purpose)
    handler(session, order)
    return order


def complete_sandbox_payment(session: Session, order_no: str) -> PaymentOrder:
    """The sandbox provider paying an order: a signed callback through the real path."""
    order = get_order(session, order_no)
    raw, headers = sign_sandbox_callback({"order_no": order.order_no, "txn_id": f"SBX{secrets.token_hex(8)}",
                                          "amount_fen": order.amount_fen, "currency": order.currency,
                                          "status": "paid"})
    return handle_callback(session, SandboxProvider.name, headers, raw)
