"""Repository-wide pytest configuration: the embedded-stack fixtures for integration and e2e tests."""

pytest_plugins = ["juanzong_devstack.pytest_plugin"]
