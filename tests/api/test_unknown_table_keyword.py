"""``ionmd.run`` refuses every unknown keyword with the nearest name, a
dict-valued one too: ``executer={"kind": "local"}`` went to the config's
other-layer tables and was ignored (the campaign ran in-process, silently)."""

from __future__ import annotations

import pytest

import ionmd
import ionmd.api
from ionmd.errors import InputError


@pytest.mark.parametrize(
    ("keyword", "words"),
    [
        (
            {"executer": {"kind": "local"}},
            "unknown key 'executer'; did you mean 'executor'?",
        ),
        ({"vasp": {"encut": 520}}, "unknown key 'vasp'"),
        ({"temperatur_K": [800]}, "did you mean 'temperatures_K'?"),
    ],
)
def test_unknown_keyword_refused(tmp_path, monkeypatch, keyword, words) -> None:
    monkeypatch.setattr(ionmd.api, "run_config", lambda *a, **k: pytest.fail("ran"))
    with pytest.raises(InputError, match=words.replace("?", r"\?")):
        ionmd.run("builtin:toy-fast", model="toy", out=tmp_path / "o", **keyword)
    assert not (tmp_path / "o").exists()
