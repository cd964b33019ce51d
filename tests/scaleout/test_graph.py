"""Dependency checks and ordering."""

from __future__ import annotations

import pytest

from ionmd.errors import InputError
from ionmd.scaleout.graph import downstream, ordered
from ionmd.scaleout.task import Task


def _t(key, *deps):
    return Task(key=key, output=f"{key}.out", command="true", depends_on=deps)


def test_dependencies_come_first_and_order_is_stable():
    tasks = [_t("a2", "m1", "m2"), _t("m1"), _t("m2"), _t("m3"), _t("a1", "m3")]
    keys = [t.key for t in ordered(tasks)]
    assert keys == ["m1", "m2", "a2", "m3", "a1"]
    for task in tasks:
        assert all(keys.index(d) < keys.index(task.key) for d in task.depends_on)


def test_unknown_dependency_names_the_nearest():
    with pytest.raises(InputError, match="unknown task 'md-01'; did you mean 'md-001'"):
        ordered([_t("md-001"), _t("an", "md-01")])


def test_cycle_and_duplicates_are_refused():
    with pytest.raises(InputError, match="cycle: a -> b -> a"):
        ordered([_t("a", "b"), _t("b", "a")])
    with pytest.raises(InputError, match="two tasks have the key 'a'"):
        ordered([_t("a"), _t("a")])


def test_downstream_is_transitive():
    tasks = [_t("v1"), _t("v2", "v1"), _t("v3", "v2"), _t("x")]
    assert downstream(tasks, ["v1"]) == {"v1", "v2", "v3"}


@pytest.mark.parametrize("key", ["", "a b", "../x", "a/b", "-x"])
def test_bad_keys_are_refused(key):
    with pytest.raises(InputError, match="task key"):
        _t(key)


def test_task_needs_exactly_one_kind_of_work():
    with pytest.raises(InputError, match="exactly one of func or command"):
        Task(key="k", output="o")
    with pytest.raises(InputError, match="exactly one of func or command"):
        Task(key="k", output="o", command="true", func=print)
