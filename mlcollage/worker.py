"""Stable import path of the worker (Dask and submitit pickle `execute` and `Job` by name)."""

from mlcollage.run.worker import Job, JobResult, child_main, execute, make_config

__all__ = ["Job", "JobResult", "child_main", "execute", "make_config"]
