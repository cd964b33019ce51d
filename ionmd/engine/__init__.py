"""ionmd.engine."""
