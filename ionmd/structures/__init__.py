"""ionmd.structures: read, check, build and replicate crystal structures."""

from ionmd.structures.builders import alpha_li3n
from ionmd.structures.load import check_mobile_species, check_no_overlaps, load_structure
from ionmd.structures.occupancy import OccupancyRoundingWarning, round_partial_occupancies
from ionmd.structures.supercell import (
    min_length_supercell,
    perpendicular_widths,
    supercell_repeats,
)

__all__ = [
    "OccupancyRoundingWarning",
    "alpha_li3n",
    "check_mobile_species",
    "check_no_overlaps",
    "load_structure",
    "min_length_supercell",
    "perpendicular_widths",
    "round_partial_occupancies",
    "supercell_repeats",
]
