"""Moved: the protocol is :mod:`ionmd.engine.protocol`, the campaign's config (the
flat TOML, ``RunConfig``, ``load_config``) :mod:`ionmd.campaign.config`.

Kept only so that imports written before the split keep working; new code
imports from those two modules.
"""

from __future__ import annotations

from typing import Any

from ionmd.engine.protocol import MAX_STEPS, PROTOCOL_KEYS, Protocol

__all__ = ["MAX_STEPS", "PROTOCOL_KEYS", "Protocol"]


def __getattr__(name: str) -> Any:
    from ionmd.campaign import config as campaign_config

    try:
        return getattr(campaign_config, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
