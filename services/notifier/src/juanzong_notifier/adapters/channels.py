"""Push channels: e-mail over SMTP (aiosmtplib) and signed webhooks (httpx).

Webhook signature (document for receivers): the body is the JSON notification; headers

* ``X-Juanzong-Delivery``: hex SHA-256 of the delivery id (the id itself, in the body, holds the case
  number in Chinese; headers are ASCII). Stable across retries: receivers de-duplicate on it;
* ``X-Juanzong-Timestamp``: Unix seconds when this attempt was signed;
* ``X-Juanzong-Signature``: ``sha256=`` + hex HMAC-SHA256 over ``<timestamp>.<raw body>`` with the
  shared secret ``JZ_NOTIFIER_WEBHOOK_SECRET``. Receivers recompute it and compare in constant time,
  and refuse timestamps far from their clock (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
import httpx

SIGNATURE_HEADER = "X-Juanzong-Signature"
TIMESTAMP_HEADER = "X-Juanzong-Timestamp"
DELIVERY_HEADER = "X-Juanzong-Delivery"


class DeliveryFailed(Exception):
    """One attempt failed; the delivery worker retries with back-off."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def delivery_token(delivery_id: str) -> str:
    return hashlib.sha256(delivery_id.encode()).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True)
class OutgoingMessage:
    delivery_id: str
    address: str
    subject: str
    text: str
    json_body: bytes


class Sender(Protocol):
    async def send(self, message: OutgoingMessage) -> str: ...


class SmtpSender:
    """E-mail through one SMTP server; off when no host is configured."""

    def __init__(self, host: str, port: int, sender: str, *, user: str | None = None,
                 password: str | None = None, starttls: bool = False, timeout: float = 15.0) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    async def send(self, message: OutgoingMessage) -> str:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail["Message-ID"] = f"<{delivery_token(message.delivery_id)[:32]}@juanzong>"
        mail.set_content(message.text)
        try:
            await aiosmtplib.send(mail, hostname=self.host, port=self.port, username=self.user or None,
                                  password=self.password or None, start_tls=self.starttls, timeout=self.timeout)
        except (aiosmtplib.SMTPException, OSError, ValueError) as error:
            raise DeliveryFailed(f"smtp {self.host}:{self.port}: {error}") from error
        return "250 accepted"


class WebhookSender:
    """POST the notification as JSON with an HMAC-SHA256 signature."""

    def __init__(self, secret: str, *, timeout: float = 10.0) -> None:
        self.secret = secret
        self.timeout = timeout

    async def send(self, message: OutgoingMessage) -> str:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            DELIVERY_HEADER: delivery_token(message.delivery_id),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.secret, timestamp, message.json_body),
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(message.address, content=message.json_body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"webhook {message.address}: {type(error).__name__}: {error}") from error
        if response.status_code >= 300:
            raise DeliveryFailed(f"webhook {message.address}: HTTP {response.status_code}")
        return f"HTTP {response.status_code}"
