"""Everything that computes: readers, rules, calendar, planner, checker, fees, exports.

Data flows one way: files -> ``scheduler.reader`` -> ``models.Instance`` ->
``scheduler.solve.solve`` -> ``models.Plan`` -> ``scheduler.checker`` / fees / exports -> files.
"""
