"""The time limit's backstop, apart from the solvers so that the command line's help can
quote it without loading them. Input: none. Output: ``BACKSTOP_FACTOR``,
``BACKSTOP_PLUS`` (``cpsat.Deadline.for_limit``: the CPU clock stops a run at
factor x limit + plus seconds) and ``backstop_text(lang)``, the same in words of the
catalogue's ``help.backstop`` (zh or en).
"""
from __future__ import annotations

# a backstop inside the promise (1.5 x limit + 2 s, fees, pay and checks included) that
# leaves the deterministic budgets, sized to the limit on the reference machine, room on a
# machine up to twice as slow or busy, so that they and not the clock decide the plan
BACKSTOP_FACTOR, BACKSTOP_PLUS = 1.5, 0.7


def backstop_text(lang: str = "en") -> str:
    """The backstop as the help texts give it: '1.5 x limit + 0.7 s', '1.5 × 时限 + 0.7 秒'."""
    from afterschool.scheduler.say import say
    return say("help.backstop", lang, factor=f"{BACKSTOP_FACTOR:g}", plus=f"{BACKSTOP_PLUS:g}")
