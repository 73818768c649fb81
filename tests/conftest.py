"""Shared pytest configuration."""

pytest_plugins = ("pgwire.testing.pytest_plugin",)
