"""afterschool: an optimisation-based scheduler for the after-school service (课后延时服务).

The repository root is this package (``pyproject.toml`` maps ``afterschool`` to it), so the
wheel installs one top-level name. Stages, in the order data flows:

- ``afterschool.models``: plain domain data (Instance, Plan, …); no solver import.
- ``afterschool.scheduler.reading``: files -> ``Instance`` (validation, templates, generator).
- ``afterschool.scheduler.rules``: the school's policy rules: T(n), M(c), duty windows,
  service dates, availability.
- ``afterschool.scheduler.planning``: grouping, staffing, ``solve``, CP-SAT plumbing,
  scenarios.
- ``afterschool.scheduler.money``: fees, pay, flex-time ledger, budget.
- ``afterschool.scheduler.handouts``: workbook, notices, calendars, charts, the output layer.
- ``afterschool.scheduler.checker``: the independent re-check of a plan.
- ``afterschool.cli``: thin Click commands.
"""
