"""What the sender reports as it goes; ``newsletter.progress`` draws it for a person."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """What the sender reports as it goes (called from its worker threads)."""

    def start(self, total: int, label: str) -> None: ...

    def advance(self, verdict: str) -> None: ...

    def stop(self) -> None: ...


class SilentProgress:
    def start(self, total: int, label: str) -> None:
        pass

    def advance(self, verdict: str) -> None:
        pass

    def stop(self) -> None:
        pass
