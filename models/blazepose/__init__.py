"""MediaPipe BlazePose (the `blazepose` extra): a pretrained pose estimator scored on the joints it shares with the
ground truth's skeleton (`adapter`)."""
