"""Host (numpy) numerics shared by the analysis and the VASP bridge: unwrapping
periodic trajectories (:mod:`~ionmd.numerics.unwrap`) and checking that their frames
were close enough together for it (:mod:`~ionmd.numerics.unwrap_check`), the
multi-origin MSD on a bounded lag grid (:mod:`~ionmd.numerics.host_msd`), the
framework's centre of mass (:mod:`~ionmd.numerics.com`), and the adaptive loop's
cheap D with its 95 % interval from an MSD on a lag grid
(:mod:`~ionmd.numerics.diffusion_estimate`).
Imports nothing of ionmd but :mod:`ionmd.errors`."""
