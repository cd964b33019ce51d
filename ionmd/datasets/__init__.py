"""ionmd.datasets: the OBELiX dataset (local copy only) and the study's selection."""

from ionmd.datasets.obelix import (
    OBELIX21,
    OBELIX22,
    ExperimentalValue,
    default_obelix_path,
    experimental_sigma_mS_cm,
    load_obelix,
    obelix_structure,
)
from ionmd.datasets.selection import benchmark_bins, select_benchmark_set

__all__ = [
    "OBELIX21",
    "OBELIX22",
    "ExperimentalValue",
    "benchmark_bins",
    "default_obelix_path",
    "experimental_sigma_mS_cm",
    "load_obelix",
    "obelix_structure",
    "select_benchmark_set",
]
