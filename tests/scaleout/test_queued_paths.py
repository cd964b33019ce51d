"""A task queued by an earlier ionmd names its callables by module path (Parsl
pickles them by reference): those paths still load after the modules moved."""

import pickle

import pytest


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("ionmd.scaleout.runner:_run_func", "ionmd.scaleout.parsl_run:_run_func"),
        ("ionmd.scaleout.runner:_run_shell", "ionmd.scaleout.parsl_run:_run_shell"),
        ("ionmd.campaign.distributed:run_md_batch", None),
        ("ionmd.campaign.distributed:run_adaptive_share", None),
        ("ionmd.campaign.distributed:run_analysis", None),
        ("ionmd.campaign.config:CampaignConfig", None),
        ("ionmd.engine.protocol:Protocol", "ionmd.engine.md_settings:MDSettings"),
    ],
)
def test_an_old_pickle_of_a_task_callable_still_loads(old, new):
    module, name = old.split(":")
    # a protocol-0 pickle of a reference by name, as an earlier ionmd wrote it
    loaded = pickle.loads(f"c{module}\n{name}\n.".encode())
    assert loaded.__name__ in (name, (new or old).split(":")[1])
    if new is not None:
        new_module, new_name = new.split(":")
        assert loaded is getattr(__import__(new_module, fromlist=[new_name]), new_name)


def test_a_config_pickled_before_md_was_named_md_still_loads():
    """A queued task's ``config`` pickled when CampaignConfig held its MDSettings
    as ``protocol``: it loads with them as ``md``, flat reads included."""
    from ionmd.campaign.config import CampaignConfig, RunConfig

    new = RunConfig(materials=("gvd",), timestep_fs=1.0, progress=False)
    text = pickle.dumps(new, protocol=0)  # text: each state key a line "V<key>"
    assert text.count(b"Vmd\n") == 1
    loaded = pickle.loads(text.replace(b"Vmd\n", b"Vprotocol\n"))  # as it was
    assert type(loaded) is CampaignConfig and "protocol" not in vars(loaded)
    assert loaded.md == new.md and loaded.timestep_fs == 1.0
    assert loaded.as_dict() == new.as_dict() and loaded == new
