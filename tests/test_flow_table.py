"""The flow table is whole: every row names a module that can fetch, keys the
options know, and markers it accepts; the facts read from it elsewhere agree."""

import importlib

import pytest

from credential_process import flow_table, options


@pytest.mark.parametrize("flow", flow_table.FLOWS, ids=lambda flow: flow.name)
def test_each_row_is_whole(flow):
    module = importlib.import_module(flow.module_path)
    assert callable(module.fetch)
    if flow.unattended_check:
        assert callable(getattr(module, flow.unattended_check))
    assert set(flow.keys) <= set(options.SPECS_BY_NAME)
    assert set(flow.markers) <= set(flow.keys)
    assert all(set(group) <= set(flow.keys) for group in flow.required)
    assert flow_table.MIN_DURATION <= flow.default_duration <= flow.max_duration


def test_names_are_unique_and_the_default_is_inferred_from_nothing():
    assert len(flow_table.NAMES) == len(flow_table.FLOWS)
    assert flow_table.infer({}) == (flow_table.DEFAULT, None)
    assert not flow_table.BY_NAME[flow_table.DEFAULT].markers


def test_markers_infer_their_own_flow():
    for flow in flow_table.FLOWS:
        for marker in flow.markers:
            assert flow_table.infer({marker: "x"}) == (flow.name, marker)


def test_the_method_key_accepts_exactly_the_table():
    assert options.SPECS_BY_NAME["method"].parse("assume-role", "k") == "assume-role"
    with pytest.raises(Exception, match="must be one of " + ", ".join(flow_table.NAMES)):
        options.SPECS_BY_NAME["method"].parse("assume-role-with-password", "k")
