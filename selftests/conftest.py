"""Shared fixtures for gradkata's own tests."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def catalog():
    from gradkata.catalog import load_catalog

    return load_catalog(ROOT / "catalog.toml")


@pytest.fixture(scope="session")
def reference(catalog):
    """The reference solutions, imported the way the grader imports them."""
    from gradkata.loader import load_implementation

    return load_implementation("solutions", catalog.solutions_dir, catalog)


@pytest.fixture
def one_torch_thread():
    """As in a grading run: one thread, so that tiny tensors do not wait on a pool."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
