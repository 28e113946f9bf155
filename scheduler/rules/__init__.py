"""The school's policy rules, used by every stage: T(n), M(c) and duty windows (``staffing``), service dates (``calendar``), availability through sessions and windows (``availability``)."""
