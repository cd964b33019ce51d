"""Which elements a model covers, by name, without loading it (``ionmd plan``).

The run reads the loaded model (``ionmd.campaign.model_loader.supported_numbers``);
the plan cannot load a foundation model (minutes, a download), so it reads this
table. Each row is what the loaded model says where it can be loaded here
(tests/calculators/test_coverage.py compares them), else what the package
documents:

- MACE-MP/MPA foundations and SevenNet-0: the 89 elements of MPtrj (Z 1–83, 89–94);
- CHGNet (every weights file): Z 1–94 (its ``type_map``, docs/models.md);
- ``mace-tiny``: Z 1–94; ``mace-mpa0-arch``: MPA-0's 89;
- ``toy``: Li and its framework elements only (its own rule); ``lj``: any element.

Other names (a MACE file, the optional extras) are not known without loading:
``None``, and the plan says the elements are checked by ``ionmd run``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: MACE foundations trained on MPtrj (MP-0, MP-0b*, MPA-0): 89 elements
MP_FOUNDATIONS = (
    "small", "medium", "large", "small-0b", "medium-0b", "small-0b2",
    "medium-0b2", "large-0b2", "medium-0b3", "medium-mpa-0",
)  # fmt: skip
_MP_Z = frozenset([*range(1, 84), *range(89, 95)])
_Z_1_94 = frozenset(range(1, 95))


@dataclass(frozen=True, kw_only=True)
class Coverage:
    """``numbers``: the atomic numbers covered, None for every element (``every``)
    or not known (``every`` False); ``source``: where that comes from."""

    numbers: frozenset[int] | None
    every: bool
    source: str


def _toy_numbers() -> frozenset[int]:
    from ase.data import atomic_numbers

    from ionmd.calculators.toy import ELEMENTS

    return frozenset(atomic_numbers[el] for el in ELEMENTS)


def model_coverage(model: str) -> Coverage:
    """The elements ``model`` covers, from its name alone."""
    name = model.strip()
    if name == "lj":
        return Coverage(numbers=None, every=True, source="lj covers every element")
    if name in ("toy", "toy-conductor"):
        return Coverage(
            numbers=_toy_numbers(), every=False, source="the toy's own elements"
        )
    fixed = {
        "mace-tiny": (_Z_1_94, "mace-tiny: Z 1-94"),
        "mace-mpa0-arch": (_MP_Z, "MPA-0's 89 elements"),
        "sevennet-0": (_MP_Z, "SevenNet-0's 89 elements (MPtrj)"),
    }
    if name == "chgnet" or name.startswith("chgnet:"):
        from ionmd.calculators.chgnet import CHGNET_MAX_Z

        z = frozenset(range(1, CHGNET_MAX_Z + 1))
        return Coverage(numbers=z, every=False, source=f"CHGNet: Z 1-{CHGNET_MAX_Z}")
    if name in fixed:
        numbers, source = fixed[name]
        return Coverage(numbers=numbers, every=False, source=source)
    if name.removeprefix("mace:") in MP_FOUNDATIONS and name.startswith("mace:"):
        return Coverage(numbers=_MP_Z, every=False, source="MACE-MP's 89 elements (MPtrj)")
    return Coverage(
        numbers=None,
        every=False,
        source=f"not known without loading {name}: ionmd run checks them",
    )
