"""Shared machinery: auth, money, clock, audit, errors, outbox, pdf, sheets, qr."""
