"""Leaderboards: specs (specs/*.yaml) laying out the paper's tables, built from result files into markdown,
CSV, LaTeX, HTML and PNG, with the papers' reported numbers as rows marked "reported"."""
