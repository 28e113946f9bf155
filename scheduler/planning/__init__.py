"""Planning: grouping, staffing, the ``solve`` entry point, CP-SAT plumbing, scenarios."""
