"""An instance: one school's settings, sign-ups, staff and availability for one term."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from afterschool.models.clubs import Club, ClubChoice
from afterschool.models.errors import Problem
from afterschool.models.people import Availability, Student, Teacher
from afterschool.models.school import School


@dataclass(frozen=True)
class Instance:
    school: School
    students: tuple[Student, ...]
    teachers: tuple[Teacher, ...]
    availability: tuple[Availability, ...]
    source: str = ""
    warnings: tuple[Problem, ...] = field(default=(), compare=False)
    clubs: tuple[Club, ...] = ()  # clubs.csv (SPEC §12); empty without it
    club_choices: tuple[ClubChoice, ...] = ()  # club_choices.csv
    # (day, session) -> clubs meeting then beside the care groups: counted as groups for
    # M(c) (set by scheduler.clubs.presence.care_instance; empty otherwise)
    club_groups: dict[tuple[str, str], int] = field(default_factory=dict, compare=False)

    @property
    def enrolled(self) -> tuple[Student, ...]:
        """Students the planner schedules (SPEC §3: only ``enrolled``)."""
        return tuple(s for s in self.students if s.status == "enrolled")

    @property
    def volunteers(self) -> tuple[Teacher, ...]:
        return tuple(t for t in self.teachers if t.volunteer)

    @cached_property
    def _avail(self) -> dict[tuple[str, str, str], str]:
        return {(a.teacher, a.day, a.session): a.status for a in self.availability}

    def availability_of(self, teacher: str, day: str, session: str) -> str:
        """``available``, ``preferred`` or ``unavailable`` (no row means unavailable)."""
        return self._avail.get((teacher, day, session), "unavailable")

    @cached_property
    def _teacher_by_id(self) -> dict[str, Teacher]:
        by_id: dict[str, Teacher] = {}
        for t in self.teachers:
            by_id.setdefault(t.id, t)  # the first of an id, as a scan in order finds it
        return by_id

    def teacher(self, teacher_id: str) -> Teacher:
        return self._teacher_by_id[teacher_id]  # KeyError for an unknown id
