"""Scale-out: a campaign as independent tasks (GPU MD batches, VASP segments,
analysis) with dependencies, run through Parsl on this machine or on SLURM, and
resumed from what earlier runs finished. See ``docs/scaleout.md``.

Parsl is imported only when tasks run, so importing this package is cheap.
"""

from ionmd.scaleout.config import ExecutorConfig, executor_config_from_table
from ionmd.scaleout.parsl_run import run_tasks
from ionmd.scaleout.task import STATES, Task, TaskResult
from ionmd.scaleout.task_status import CampaignStatus, campaign_status
from ionmd.scaleout.vasp_segment import nodes_for, sbatch_segment_task, vasp_segment_task

__all__ = [
    "STATES",
    "CampaignStatus",
    "ExecutorConfig",
    "Task",
    "TaskResult",
    "campaign_status",
    "executor_config_from_table",
    "nodes_for",
    "run_tasks",
    "sbatch_segment_task",
    "vasp_segment_task",
]
