import pytest

import glassnet


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same library seed."""
    glassnet.manual_seed(0)
    yield
