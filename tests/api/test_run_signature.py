"""What a notebook user discovers without reading the source: ``dir(ionmd)``
lists the API, and ``ionmd.run``'s signature and docstring give every config key
with its type, unit and default, the same as docs/config.md's table and the
settings dataclasses (``flat_defaults``)."""

import inspect

import pytest

import ionmd
from ionmd import api
from ionmd.api_keys import KEY_HELP
from ionmd.campaign.config import flat_defaults
from tests.engine.test_config_docs import _rows, _toml

#: the config keys ionmd.run takes otherwise (the first, positional argument)
NOT_KEYWORDS = {"materials"}


def test_dir_lists_the_lazy_api():
    names = dir(ionmd)
    for name in ("run", "analyze", "Results", "__version__"):
        assert name in names
    assert ionmd.run is api.run


def test_every_documented_key_is_a_typed_keyword_of_run_with_its_default():
    params = inspect.signature(ionmd.run).parameters
    defaults = flat_defaults()
    rows = _rows()
    assert set(rows) - NOT_KEYWORDS <= set(params), "ionmd.run lacks a config key"
    for key in set(rows) - NOT_KEYWORDS:
        p = params[key]
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, key
        assert p.default == defaults[key], f"{key}: {p.default!r} != {defaults[key]!r}"
        assert _toml(p.default) == rows[key][0], f"{key}: docs say {rows[key][0]}"
        assert p.annotation not in (inspect.Parameter.empty, "Any"), key


def test_docstring_gives_each_key_its_unit_and_default():
    rows = _rows()
    assert set(KEY_HELP) == set(rows) - NOT_KEYWORDS
    doc = inspect.getdoc(ionmd.run)
    lines = {ln.split(":")[0].strip(): ln for ln in doc.splitlines() if ":" in ln}
    for key, (unit, _) in KEY_HELP.items():
        assert unit == rows[key][1], f"{key}: unit {unit} != docs {rows[key][1]}"
        line = lines[key]
        default = repr(defaults) if (defaults := flat_defaults()[key]) is not None else ""
        assert f"default {default or 'not set'}" in line, line
        if unit != "–":
            assert f"[{unit}," in line, line


def _captured(monkeypatch, tmp_path, **kw):
    seen = {}

    def fake(config, **options):
        seen["config"], seen["options"] = config, options
        return "ran"

    monkeypatch.setattr(api, "run_config", fake)
    assert ionmd.run("builtin:alpha-Li3N", out=tmp_path / "x", **kw) == "ran"
    return seen["config"]


def test_keywords_reach_the_config(monkeypatch, tmp_path):
    config = _captured(monkeypatch, tmp_path, model="lj", timestep_fs=1.0, seed=7)
    assert (config.model, config.timestep_fs, config.seed) == ("lj", 1.0, 7)
    assert config.duration_ps == flat_defaults()["duration_ps"]
    assert config.adaptive is None  # adaptive keys at their defaults: no refusal
    config = _captured(
        monkeypatch, tmp_path, protocol="adaptive", chunk_ps=10.0, max_duration_ps=100.0
    )
    assert config.adaptive is not None and config.adaptive.chunk_ps == 10.0
    config = _captured(monkeypatch, tmp_path, models=["lj", "toy"])
    assert config.models == ("lj", "toy")


def test_adaptive_key_under_study_protocol_is_still_refused(tmp_path):
    with pytest.raises(ionmd.errors.InputError, match="key of the adaptive protocol"):
        ionmd.run("builtin:alpha-Li3N", model="lj", out=tmp_path / "x", chunk_ps=10.0)
    with pytest.raises(ionmd.errors.InputError, match="either model or models"):
        ionmd.run("builtin:alpha-Li3N", model="lj", models=["toy"], out=tmp_path / "y")
