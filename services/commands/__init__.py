"""The command-line twin's commands, one module per area. Each module has ``register(sub)``."""

from __future__ import annotations

from typing import Any


def register_all(sub: Any) -> None:
    from services.commands import clients
    from services.commands import demo as demo_cmd
    from services.commands import documents as documents_cmd
    from services.commands import importing as importing_cmd
    from services.commands import mappings as mappings_cmd
    from services.commands import parse as parse_cmd
    from services.commands import posting as posting_cmd

    for module in (clients, parse_cmd, importing_cmd, mappings_cmd, posting_cmd, documents_cmd,
                   demo_cmd):
        module.register(sub)
