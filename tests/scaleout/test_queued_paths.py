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
