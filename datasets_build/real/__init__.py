"""Dataset builders from the real sources into the seven task schemas (`benchmark.tasks.schema`).

One module per source family, each a pure function of the readers' outputs (`datasets_build.sources`) and options,
returning a `common.BuildResult` = (datasets: {config name: DatasetDict}, info: BuildInfo):

* `posescript.build_posescript`: PoseScript V2 + AMASS -> pose_to_text-A/-H, text_to_pose-A/-H.
* `posefix.build_posefix`: PoseFix + AMASS -> pose_diff-A/-H, pose_edit-A/-H.
* `pose_estimation.build_pose_estimation`: image datasets (`image_rows.ImageSet`) -> pose_estimation-<dataset>.
* `imagescript.build_imagescript`: ImageScript-A/-R (UniPose appendix A.1) -> image_to_text-A/-R.
* `imagediff.build_imagediff`: ImageDiff-A/-R (UniPose appendix A.2) -> image_diff-A/-R.
* `cli`: command-line options naming the user's files, and `build_from_sources(args)`.
Shared pieces: `common` (report, names, Arrow writing), `crops` (person boxes and crops), `image_rows` (image
columns from `ImageSamples`), `image_poses` (image poses for sampling / captioning / features), `refine` (the -R
text-model protocol), `perf` (side-by-side timings).

Config names are `<task>-<variant>`: -A automatic texts, -H rows with human texts, -R refined texts; pose estimation
has one config per dataset (`pose_estimation-3dpw`, ...). Nothing heavy is imported here.
"""
