"""ionmd.datasets."""
