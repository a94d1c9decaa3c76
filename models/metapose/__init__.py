"""MetaPose (Visual-Pose-Lab/MetaPose): image + 2D keypoints + per-joint text -> 3D joints."""
