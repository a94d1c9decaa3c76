"""Dataset builders: raw sources (AMASS, PoseScript, PoseFix, pose-estimation sets) or the embedded pose world ->
one Hugging Face `DatasetDict` per task, with automatic captioning, dataset cards and Hub export."""
