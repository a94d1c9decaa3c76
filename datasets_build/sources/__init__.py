"""Readers of the real data sources, in their released formats (one module per source; nothing is imported here).

* `amass`, `posescript_poses`, `posescript`, `posefix`: AMASS sequences, PoseScript V2 and PoseFix releases.
* `h36m`, `threedpw`, `mpii`, `coco`, `mpi_inf_3dhp`, `hmr2_eval`, `unipose_npz`: image datasets, returned as
  `samples.ImageSamples` (one row per image and person; conventions in `samples.py`); `eft` reads the EFT SMPL fits
  joined to MPII and COCO; `joint_sets` names the joint orders.
* `files`: the container readers (JSON, npz with safe object members, MATLAB v5 / v7.3, restricted pickles).
"""
