"""ionmd.vasp_bridge."""
