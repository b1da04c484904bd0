"""What the composers of single emails share (the confirmation, the asker's email, the
welcome): who sends, the DKIM signer, the VERP return path, and the two template parts.

Each composer builds its own message; this makes it an envelope the same way for all, so
signing or the bounce address never differs between them by accident.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from jinja2 import Environment

from newsletter.config import Settings
from newsletter.mail.dkim import load_signer
from newsletter.mail.message import Sender
from newsletter.mail.transport import Envelope
from newsletter.mail.verp import VerpKind, verp_for


class Composer:
    """The sending side of one email: ``envelope`` signs it and says where bounces go."""

    # False for an email whose bounce concerns no subscriber: its return path is the From
    # address, and the VERP (and the signing key it reads) is never loaded for it.
    verp_bounces: ClassVar[bool] = True

    def __init__(self, settings: Settings) -> None:
        self.sender = Sender.parse(settings.newsletter.sender)
        self.signer = load_signer(settings.newsletter.dkim, settings.env.dkim_key_file)
        self.verp = verp_for(settings) if self.verp_bounces else None

    def envelope(
        self,
        data: bytes,
        message_id: str,
        rcpt: str,
        now: datetime,
        bounce: tuple[VerpKind, int] | None = None,
    ) -> Envelope:
        """``data`` signed (with DKIM configured), returned to the VERP address of
        ``bounce`` (what it names, so a bounce acts on them) when VERP is on; else, or
        without ``bounce``, to the From address."""
        if self.signer is not None:
            data = self.signer.sign(data, now)
        verp = self.verp
        return_path = verp.address(*bounce) if verp and bounce else self.sender.address
        return Envelope(return_path, rcpt, data, message_id)


def text_and_html(environment: Environment, name: str, context: dict[str, Any]) -> tuple[str, str]:
    """The templates ``email/<name>.txt`` and ``.html`` rendered with ``context``."""
    text = environment.get_template(f"email/{name}.txt").render(context)
    return text, environment.get_template(f"email/{name}.html").render(context)
