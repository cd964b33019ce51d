"""Old module path of :mod:`ionmd.engine.md_settings`, kept so that objects pickled
before the rename (a queued executor task's config, an old checkpoint's
settings) still load. New code imports :class:`MDSettings` from ``md_settings``."""

from ionmd.engine.md_settings import MD_FIELDS, MD_KEYS, MDSettings

#: the engine's MD settings under their old names
Protocol = MDSettings
PROTOCOL_FIELDS = MD_FIELDS
PROTOCOL_KEYS = MD_KEYS

__all__ = ["PROTOCOL_FIELDS", "PROTOCOL_KEYS", "Protocol"]
