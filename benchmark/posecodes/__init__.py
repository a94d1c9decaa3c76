"""PoseScript's posecodes: what a pose's joints say, binned into categories ("the left knee is bent", "the hands are
shoulder width apart"), re-implemented from naver/posescript `text2pose/posescript/`.

This is pure pose geometry (joint angles, distances, relative positions, segment orientations, heights above the
ground, body inclination and head rotations, each binned at upstream's thresholds), so it lives in the core: the
posecode-agreement metric of the pose-output tasks (`benchmark.metrics.posecode_agreement`) captions generated poses
with it, and `datasets_build.captioning` turns the same posecodes into the automatic texts of the datasets. Had the
metric stayed above the core (a plugin registered by `datasets_build`), a core task's scores would depend on whether
another package is installed, and on its version; here they depend only on the task's own code.

Modules: `inputs` (the 35 captioning joints of a pose batch, head rotations, the heading normalisation),
`operators` (the vectorised measurements and their binning), `table` (the posecode and super-posecode tables compiled
into arrays), `extract` (measure -> categories -> super-posecodes -> eligibility, `posecode_arrays`), `records` (the
`Code` record of one posecode).
"""
