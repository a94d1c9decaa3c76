"""The embedded pose world: procedural poses (archetypes inside anatomical joint limits), farthest-point pose
selection by MPJE, short motion sequences for in-sequence pairs, and renders of the posed skeleton.

Modules: `limits` (joint limits and their Euler parameterisation), `archetypes` (the posture library),
`generator` (`generate_poses`, `mirror_poses`), `sampling` (`farthest_point_sampling`), `sequences`
(`interpolate_poses`, `make_sequences`), `perf` (`run_benchmark`).
"""
