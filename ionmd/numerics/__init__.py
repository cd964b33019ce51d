"""Host (numpy) numerics shared by the analysis and the VASP bridge: unwrapping
periodic trajectories (:mod:`~ionmd.numerics.unwrap`) and the multi-origin MSD on a
bounded lag grid (:mod:`~ionmd.numerics.msd`), the framework's centre of mass
(:mod:`~ionmd.numerics.com`). Imports nothing of ionmd but
:mod:`ionmd.errors`."""
