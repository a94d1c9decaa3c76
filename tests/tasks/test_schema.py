"""The task vocabulary is consistent with itself: every task has a request kind, and its input and target columns
are columns of its Features."""

from benchmark.tasks.schema import FEATURES, INPUT_COLUMNS, REQUEST_KIND, TARGET_COLUMNS, TASKS


def test_every_task_declares_its_kind_and_columns_that_its_rows_have():
    for table in (REQUEST_KIND, INPUT_COLUMNS, TARGET_COLUMNS, FEATURES):
        assert tuple(table) == TASKS or set(table) == set(TASKS)
    for task in TASKS:
        columns = set(FEATURES[task])
        assert set(INPUT_COLUMNS[task]) <= columns and set(TARGET_COLUMNS[task]) <= columns, task
        # a text is asked for exactly when the targets are texts
        assert (REQUEST_KIND[task] == "describe") == (TARGET_COLUMNS[task][0] == "texts"), task
