"""Everything that computes, one folder per stage: ``reading`` (files -> Instance),
``rules`` (the school's policy: T(n), M(c), windows, calendar, availability), ``planning``
(grouping, staffing, solve, scenarios), ``money`` (fees, pay, budget), ``handouts`` (what is
written for the office), and ``checker`` (the independent re-check).

Data flows one way: files -> ``reading`` -> ``models.Instance`` -> ``planning.solve`` ->
``models.Plan`` -> ``money`` / ``checker`` / ``handouts`` -> files.
"""
