"""An independent forward kinematics (scipy rotations, explicit recursion) to check the suite's FK against."""

import numpy as np
from scipy.spatial.transform import Rotation


def reference_fk(pose_aa: np.ndarray, rest: np.ndarray, parents) -> np.ndarray:
    """One pose [J,3] axis-angle -> joints [J,3]; joint j = joint parent + R_parent_global @ (rest_j - rest_parent)."""
    n = len(parents)
    glob = [None] * n
    out = np.zeros((n, 3))
    for j in range(n):
        local = Rotation.from_rotvec(pose_aa[j]).as_matrix()
        p = parents[j]
        if p < 0:
            glob[j] = local
            out[j] = rest[j]
        else:
            glob[j] = glob[p] @ local
            out[j] = out[p] + glob[p] @ (rest[j] - rest[p])
    return out
