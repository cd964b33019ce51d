"""The adaptive protocol (docs/adaptive.md): each system runs as long as it
needs, temperatures are added where the fixed protocol would fail, and an
in-flight batch is refilled as systems finish."""
