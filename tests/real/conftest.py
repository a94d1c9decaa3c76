import pytest

from tests.real.helpers import write_sources


@pytest.fixture(scope="session")
def sources(tmp_path_factory):
    """Every real source folder, small, in the released formats (written once per session; read-only)."""
    return write_sources(tmp_path_factory.mktemp("real-sources"))
