"""Shared fixtures of nvm's Python tests."""

import pathlib

import pytest

import nvm

DATA = pathlib.Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def kernels_path():
    return DATA / "kernels.nk"


@pytest.fixture(params=["auto", "jit", "interp"])
def tier(request):
    return request.param


@pytest.fixture
def k(kernels_path, tier, tmp_path):
    """kernels.nk loaded in an engine of each tier, with a fresh code heap."""
    return nvm.Engine(tier=tier, cache_dir=tmp_path / "heap").load(kernels_path)


@pytest.fixture
def k1(kernels_path):
    """kernels.nk in one engine (tier auto, no code heap)."""
    return nvm.load(kernels_path, cache_dir=False)
