"""ionmd.calculators."""
