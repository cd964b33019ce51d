"""The VASP bridge: run the study's AIMD reference with VASP and bring it back.

``prepare`` (inputs per material and temperature) → ``jobs``/``submit`` (chained
SLURM segments with a clean stop, resumable) → ``collect`` (segments checked and
stitched into the engine's run file). See docs/vasp_bridge.md.
"""

from ionmd.vasp_bridge.collect import CollectedRun, RunCost, collect_run, write_runs
from ionmd.vasp_bridge.config import (
    Campaign,
    VaspSettings,
    campaign_from_dict,
    load_campaign,
    parse_walltime_s,
)
from ionmd.vasp_bridge.jobs import n_nodes, render_job_script
from ionmd.vasp_bridge.potcar import potcar_library, write_potcar
from ionmd.vasp_bridge.prepare import prepare_campaign, prepare_run
from ionmd.vasp_bridge.segments import max_steps_per_segment, plan_segments, run_progress
from ionmd.vasp_bridge.submit import progress_of, submit_run
from ionmd.vasp_bridge.vasp_inputs import MDInputs, build_input_set, sort_with_map

__all__ = [
    "Campaign",
    "CollectedRun",
    "MDInputs",
    "RunCost",
    "VaspSettings",
    "build_input_set",
    "campaign_from_dict",
    "collect_run",
    "load_campaign",
    "max_steps_per_segment",
    "n_nodes",
    "parse_walltime_s",
    "plan_segments",
    "potcar_library",
    "prepare_campaign",
    "prepare_run",
    "progress_of",
    "render_job_script",
    "run_progress",
    "sort_with_map",
    "submit_run",
    "write_potcar",
    "write_runs",
]
