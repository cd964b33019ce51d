"""ionmd.analysis."""
