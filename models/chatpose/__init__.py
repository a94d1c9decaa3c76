"""A ChatPose-style model (Feng et al., CVPR 2024): a LLaVA-family model that answers with a pose token whose hidden
state an MLP maps to SMPL rotations; the `chatpose` adapter (`adapter`) and its pose head (`projector`)."""
