"""Segments with only vasprun.xml (the last one cut off mid-step) are collected too."""

from __future__ import annotations

import numpy as np
import pytest

from ionmd.errors import InputError
from ionmd.fileformat.vasprun import iter_vasprun
from ionmd.vasp_bridge.collect import collect_run
from tests.vasp_bridge import _segmented as sg


def _vasprun_text(symbols, cell_lines, frames):
    out = [
        '<?xml version="1.0" encoding="ISO-8859-1"?>',
        "<modeling>",
        " <atominfo>",
        f"  <atoms>{len(symbols)}</atoms>",
        '  <array name="atoms" >',
        '   <dimension dim="1">ion</dimension>',
        '   <field type="string">element</field>',
        '   <field type="int">atomtype</field>',
        "   <set>",
    ]
    out += [f"    <rc><c>{s:2s}</c><c>   1</c></rc>" for s in symbols]
    out += ["   </set>", "  </array>", " </atominfo>"]
    for frame in frames:
        out += [
            " <calculation>",
            "  <structure>",
            "   <crystal>",
            '    <varray name="basis" >',
        ]
        out += [f"     <v> {c} </v>" for c in cell_lines]
        out += ["    </varray>", "   </crystal>", '   <varray name="positions" >']
        out += [f"    <v> {line.strip()} </v>" for line in frame]
        out += [
            "   </varray>",
            "  </structure>",
            '  <energy><i name="e_fr_energy"> -1.0 </i></energy>',
            " </calculation>",
        ]
    out.append("</modeling>")
    return "\n".join(out) + "\n"


def test_vasprun_segments_give_the_steps_in_order(tmp_path, shared):
    header, frames = sg.split_xdatcar(sg.xdatcar_path(shared))
    names, counts = header[5].split(), [int(x) for x in header[6].split()]
    symbols = [s for s, c in zip(names, counts, strict=True) for _ in range(c)]
    # a made-up run of NBLOCK = 1: geometry after j steps = frame j of the real file
    run = tmp_path / "li6ps5cl_600K"
    run.mkdir()
    sg.write_record(run, header=header, total_frames=30, plan=[11, 19], nblock=1)
    seg0, seg1 = run / "seg_000", run / "seg_001"
    seg0.mkdir()
    seg1.mkdir()
    # segment 0: 11 steps, vasprun holds the geometries before each step (0..10)
    (seg0 / "vasprun.xml").write_text(_vasprun_text(symbols, header[2:5], frames[0:11]))
    (seg0 / "CONTCAR").write_text(sg._poscar_text(header, frames[11]))
    # segment 1 restarts from it and is killed while writing its 8th step
    text = _vasprun_text(symbols, header[2:5], frames[11:21])
    cut = text.index("<calculation>", text.index("<calculation>") + 1)
    for _ in range(6):
        cut = text.index("<calculation>", cut + 1)
    (seg1 / "vasprun.xml").write_text(text[: cut + 300])
    (seg1 / "POSCAR").write_text(sg._poscar_text(header, frames[11]))

    assert len(list(iter_vasprun(seg1 / "vasprun.xml"))) == 7  # complete steps only
    collected = collect_run(run)
    # frames after 1..11 steps from segment 0 (CONTCAR is the 11th), 12..17 from segment 1
    np.testing.assert_array_equal(collected.steps, np.arange(1, 18))
    ref = np.stack(
        [np.array([line.split() for line in f], dtype=float) for f in frames[0:18]]
    )
    d = np.diff(ref, axis=0)
    d -= np.round(d)
    ref_unwrapped = ref[0] + np.cumsum(d, axis=0)
    got = collected.frac_unwrapped - collected.frac_unwrapped[0] + ref_unwrapped[0]
    np.testing.assert_allclose(got, ref_unwrapped, atol=1e-10)
    assert collected.steps_done == 11 + 7


def test_vasprun_restart_from_the_wrong_structure_is_a_gap(tmp_path, shared):
    header, frames = sg.split_xdatcar(sg.xdatcar_path(shared))
    names, counts = header[5].split(), [int(x) for x in header[6].split()]
    symbols = [s for s, c in zip(names, counts, strict=True) for _ in range(c)]
    run = tmp_path / "li6ps5cl_600K"
    run.mkdir()
    sg.write_record(run, header=header, total_frames=20, plan=[10, 10], nblock=1)
    for k, (a, b) in enumerate([(0, 10), (12, 22)]):
        seg = run / f"seg_{k:03d}"
        seg.mkdir()
        (seg / "vasprun.xml").write_text(_vasprun_text(symbols, header[2:5], frames[a:b]))
        (seg / "CONTCAR").write_text(sg._poscar_text(header, frames[b]))
    with pytest.raises(InputError, match="gap between seg_000 and seg_001"):
        collect_run(run)
