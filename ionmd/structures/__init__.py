"""ionmd.structures."""
