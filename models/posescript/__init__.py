"""PoseScript baselines (Delmas et al., ECCV'22 / T-PAMI'24): the text-conditioned pose VAE (text -> pose) and the
description generator (pose -> text), re-implemented on the suite's body model and data."""
