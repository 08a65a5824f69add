"""End-to-end helpers. The stack itself (``e2e_stack``, ``e2e_api``) comes from ``juanzong_devstack.pytest_plugin``:
started once per session as real processes and shared with ``tests/security``."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def do():
    """``do(job, title, fn)``: one step of the demo's job; a failure names the step and the service's answer."""
    import subprocess

    from juanzong_devstack.api_client import ApiError, StackNotRunning
    from juanzong_devstack.demo import JobFailed

    def run(job, title, fn) -> None:
        try:
            job.step(title, fn)
        except (ApiError, JobFailed, StackError, StackNotRunning, subprocess.SubprocessError, OSError) as error:
            pytest.fail(f"step “{title}” failed: {error}\n(service logs: {job.config.data_dir / 'logs'})",
                        pytrace=False)
    return run
