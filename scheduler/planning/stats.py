"""Typed solve statistics: what a ``plan`` or ``replan`` spent and where the clock decided.

Input: the figures a solve measured and its ``cpsat.Deadline``. Output: ``SolveStats``,
written into ``plan.json`` as ``solve_stats`` by ``as_dict`` (the keys and their order as
``docs/plan-file.md`` gives them: seconds, cpu_seconds where measured, workers,
time_limit, cut_by_time_limit). Rules: none; one shape for both writers.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SolveStats:
    seconds: float  # wall seconds (replan: CPU seconds, as it always wrote)
    workers: int
    time_limit: float
    cut_by_time_limit: list[str] = field(default_factory=list)  # stages the clock decided
    cpu_seconds: float | None = None  # CPU seconds of the whole solve (plan)

    @classmethod
    def of(cls, seconds: float, workers: int, time_limit: float, deadline=None,
           cpu_seconds: float | None = None) -> SolveStats:
        """The statistics of a solve under ``deadline`` (its root's cuts; none without)."""
        cuts = list(deadline.root().cuts) if deadline is not None else []
        return cls(round(seconds, 3), workers, time_limit, cuts,
                   None if cpu_seconds is None else round(cpu_seconds, 3))

    def as_dict(self) -> dict:
        out: dict = {"seconds": self.seconds}
        if self.cpu_seconds is not None:
            out["cpu_seconds"] = self.cpu_seconds
        out.update(workers=self.workers, time_limit=self.time_limit,
                   cut_by_time_limit=list(self.cut_by_time_limit))
        return out
