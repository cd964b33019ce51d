"""The campaign: materials × temperatures → batched MD → analysis → report."""
