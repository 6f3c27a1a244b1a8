"""Shared pytest configuration. Fixtures that start real servers live in tests/python/fixtures/."""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]

pytest_plugins = ["tests.python.fixtures.redis", "tests.python.fixtures.postgres"]
