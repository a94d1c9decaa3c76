"""PoseFix baselines (Delmas et al., ICCV'23): the editing generator (pose A + text -> pose B) and the instruction
generator (pose pair -> text), built from the PoseScript modules."""
