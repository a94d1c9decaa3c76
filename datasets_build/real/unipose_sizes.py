"""UniPose's ImageScript / ImageDiff sizes (appendix A): constants only, so the CLI can show them as defaults
without importing the builders."""

UNIPOSE_TRAIN_SIZES = {"h36m": 15000, "mpi-inf-3dhp": 25000, "coco": 5000, "mpii": 5000}
UNIPOSE_TEST_SIZE = 2000
UNIPOSE_REFINED_TRAIN_SIZE = 6250
