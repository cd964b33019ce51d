"""The comparison page: its first screen answers before any table, it stands
alone (no external URL; every image inline or a relative file that exists), and
Chromium renders it at laptop width to a non-blank screenshot without sideways
scrolling (skipped where Chromium is not installed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from ionmd.analysis.compare import DFT_LABEL
from ionmd.report.compare import write_comparison

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LONG = "temperature ran away to 3608 K (target 800 K) by step 20; " * 4


def _run(folder: Path, *, model: str | None, log10_sigma: dict[str, float]) -> Path:
    """A results.json (and campaign.json when ``model``): one fitted material per
    entry of ``log10_sigma`` (experiment 1 mS/cm), one failed with a long reason."""
    folder.mkdir(parents=True)
    mats = {
        mid: {
            "sigma_300K_mS_cm": 10.0**x,
            "sigma_300K_ci95_mS_cm": [10.0 ** (x - 0.5), 10.0 ** (x + 0.5)],
            "sigma_exp_mS_cm": 1.0,
            "log10_error": x,
            "Ea_eV": 0.3 + 0.05 * x,
            "all_reliable": x > 0,
            "n_reliable": 2,
            "n_temperatures": 2,
            "temperatures": [],
        }
        for mid, x in log10_sigma.items()
    }
    req = {mid: {"status": "fitted", "reason": ""} for mid in log10_sigma}
    req["a-very-long-material-name-that-does-not-break"] = {
        "status": "failed",
        "reason": LONG,
    }
    doc = {"inputs": [], "materials": mats, "requested_materials": req}
    (folder / "results.json").write_text(json.dumps(doc))
    if model:
        record = {
            "model": {"model_name": model, "model_version": "v" * 300},
            "device": "cpu",
            "config": {"temperatures_K": [800, 1200], "timestep_fs": 2.0},
        }
        (folder / "campaign.json").write_text(json.dumps(record))
        (folder / "report.html").write_text("<!doctype html><title>r</title>")
    return folder


@pytest.fixture
def page(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    ids = [f"m{i}" for i in range(6)]
    values = [float(v) for v in rng.normal(0, 1, 6)]
    runs = [
        _run(
            tmp_path / name,
            model=name,
            log10_sigma=dict(zip(ids, values, strict=True)),
        )
        for name in ("sevennet-0", "mace-tiny", "lj")
    ]
    dft = _run(tmp_path / "vasp", model=None, log10_sigma={"m0": 0.2, "m1": -0.4})
    write_comparison(run_dirs=runs, dft_dirs=[dft], out_dir=tmp_path / "cmp")
    return tmp_path / "cmp" / "comparison.html"


def test_first_screen_before_any_table(page: Path) -> None:
    text = page.read_text()
    tables = text.index("<h2>Rank (MAE")  # the first of the detailed tables
    first = text[:tables]
    assert "σ(300 K) per material and model" in first
    assert "Made with" in first
    # per material and model: σ(300 K) with its interval and the state in words
    assert "<td>m0</td><td>1</td>" in first
    assert first.count("<small>prediction</small>") >= 1
    assert "not a prediction: " in first and "no prediction: failed" in first
    assert "not in this run" in first  # DFT has only m0, m1
    assert "Lowest MAE of log10 σ(300 K) vs OBELiX" in first
    # the full verdicts (why), each model and DFT, also before the tables
    for label in ("sevennet-0", DFT_LABEL):  # the verdict first, then the value
        assert re.search(re.escape(label) + r": (not a )?prediction: σ\(300 K\) = ", first)
    assert "temperature ran away to 3608 K" in first


def test_page_stands_alone(page: Path) -> None:
    text = page.read_text()
    assert not re.search(r"(?i)https?://|<link\b|<script\b|url\(", text)
    refs = re.findall(r"""(?:src|href)=['"]([^'"]*)['"]""", text)
    assert refs, "no image or link at all"
    for ref in refs:
        if ref.startswith("data:image/png;base64,"):
            continue
        assert not re.match(r"^[a-z]+:", ref) and not ref.startswith("/"), ref
        assert (page.parent / ref).is_file(), ref
    # model-vs-model and model-vs-DFT parity, each of log10 σ and Ea, inlined
    assert text.count("data:image/png;base64,") == 4
    assert "Model vs DFT (VASP): log10 σ(300 K)" in text


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_chromium_renders_at_laptop_width(page: Path) -> None:
    from PIL import Image

    shot = page.parent / "shot.png"
    _chromium(f"--screenshot={shot}", "--window-size=1366,900", page.as_uri())
    img = np.asarray(Image.open(shot).convert("L"))
    assert img.shape == (900, 1366)
    assert (img < 200).mean() > 0.01 and len(np.unique(img)) > 20  # not blank
    # the page at laptop (and narrower) widths: nothing makes the reader scroll
    # sideways (a wide table scrolls inside its own box)
    for width in (1366, 1024, 600):
        scroll, client = _page_width(page, width)
        assert scroll <= client, f"{scroll} px wide page in a {client} px window"


def _page_width(page: Path, width: int) -> tuple[int, int]:
    """(the page's scroll width, the window's client width) in Chromium."""
    probe = page.with_name("probe.html")
    probe.write_text(
        page.read_text() + "<script>document.title='W'+document.documentElement"
        ".scrollWidth+'x'+document.documentElement.clientWidth</script>\n"
    )
    dom = _chromium("--dump-dom", f"--window-size={width},900", probe.as_uri()).stdout
    found = re.search(r"<title>W(\d+)x(\d+)</title>", dom)
    assert found, dom[-500:]
    return int(found.group(1)), int(found.group(2))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_single_model_report_has_the_same_stylesheet(tmp_path: Path) -> None:
    """The campaign / analysis report (report.html) with a wide table: it scrolls
    in its box, the page does not (the same stylesheet as the comparison)."""
    from ionmd.report.pages import write_text_reports
    from ionmd.report.tables import Section, Table

    header = [f"column number {i} (unit)" for i in range(12)]
    rows = [[f"value {i}.{j} with words" for j in range(12)] for i in range(3)]
    section = Section("Campaign", [Table("Batches", header, rows)])
    write_text_reports(doc=None, out_dir=tmp_path, sections=[section])
    page = tmp_path / "report.html"
    assert "name='viewport'" in page.read_text()
    scroll, client = _page_width(page, 600)
    assert scroll <= client, f"{scroll} px wide page in a {client} px window"


def test_parameters_are_folded_below_the_answer(page: Path) -> None:
    """Issue 22: each model's parameters sit under the answer, inside <details>."""
    text = page.read_text()
    fold = re.search(
        r"<details><summary>Made with[^<]*</summary>(.*?)</details>", text, re.S
    )
    assert fold and "sevennet-0: " in fold.group(1)
    assert text.index("σ(300 K) per material and model") < fold.start()
