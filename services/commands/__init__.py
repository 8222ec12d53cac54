"""The command-line twin's commands, one module per area. Each module has ``register(sub)``."""

from __future__ import annotations

from typing import Any


def register_all(sub: Any) -> None:
    from services.commands import clients

    for module in (clients,):
        module.register(sub)
