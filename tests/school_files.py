"""Tiny instances written into a temporary folder: the files every test module builds on."""
from __future__ import annotations

import hashlib
import textwrap
from datetime import date
from pathlib import Path

import openpyxl

SCHOOL = """\
[school]
name = "Test School"
language = "en"
[term]
start = 2026-09-07
end = 2026-09-11
official_holidays = false
"""


def school_until(end: str, extra: str = "") -> str:
    """``SCHOOL`` with its term running from 2026-09-07 to ``end``; ``extra`` lines go into
    ``[term]`` (holidays, make-up days)."""
    return SCHOOL.replace("end = 2026-09-11", f"end = {end}" + (f"\n{extra}" if extra else ""))


STUDENT_HEAD = ("id,name,grade,class,noon,afternoon,priority,fee_category,fee_reduction,lunch,"
                "status,applied_on\n")
TEACHER_HEAD = "id,name,volunteer,can_manage,kind,hourly_rate,max_weekly_minutes,classes,allow_double\n"
AVAIL_HEAD = "teacher,day,session,status\n"


def write_instance(folder: Path, students: str = "", teachers: str = "", availability: str = "",
                   school: str = SCHOOL, rules: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "school.toml").write_text(school + (("\n[rules]\n" + rules) if rules else ""),
                                        encoding="utf-8")
    (folder / "students.csv").write_text(STUDENT_HEAD + textwrap.dedent(students),
                                         encoding="utf-8")
    (folder / "teachers.csv").write_text(TEACHER_HEAD + textwrap.dedent(teachers),
                                         encoding="utf-8")
    (folder / "availability.csv").write_text(AVAIL_HEAD + textwrap.dedent(availability),
                                             encoding="utf-8")
    return folder


def students_rows(n: int, grade: int = 3, klass: str | None = None, noon: str = "",
                  afternoon: str = "Tue", start: int = 1, status: str = "enrolled") -> str:
    klass = klass or f"{grade}-1"
    return "".join(f"S{start + i:04d},Kid{start + i},{grade},{klass},{noon},{afternoon},,normal,,,"
                   f"{status},\n" for i in range(n))


def vol(tid: str, manage: str = "no", weekly: str = "", double: str = "no",
        classes: str = "") -> str:
    """A teachers.csv row of a volunteer (name Name<id>, staff)."""
    return f"{tid},Name{tid},yes,{manage},staff,,{weekly},{classes},{double}\n"


def avail(tid: str, days: str, session: str) -> str:
    """availability.csv rows: ``tid`` available for ``session`` on each of ``days``."""
    return "".join(f"{tid},{d},{session},available\n" for d in days.split())


ONE_VOLUNTEER = "T1,Li,yes,yes,staff,,,3-1,no\n"
ONE_AVAILABILITY = "T1,Tue,after-upper,available\n"


def short_staffed_applicants(folder: Path, first_priority: str = "") -> Path:
    """A short-staffed school with three applicants in line: 20 of 3-1 on Tue afternoons
    with T1 (seats to spare); 10 of 2-1 at noon on Tue, where nobody volunteers (4 noon
    posts unfilled whatever is admitted). A1 (3-1, Tue afternoon: a seat in T1's group;
    priority ``first_priority``), A2 (3-1, Wed afternoon: a new group-day nobody can staff),
    A3 (Tue afternoon, behind A2 in the line)."""
    rows = students_rows(20) + \
        students_rows(10, grade=2, klass="2-1", noon="Tue", afternoon="", start=101) + \
        f"A1,First,3,3-1,,Tue,{first_priority},normal,,,applied,2026-08-01\n" \
        "A2,Second,3,3-1,,Wed,,normal,,,applied,2026-08-02\n" \
        "A3,Third,3,3-1,,Tue,,normal,,,applied,2026-08-03\n"
    return write_instance(folder, students=rows, teachers=vol("T1"),
                          availability="T1,Tue,after-upper,available\n")


def write_workbook(tmp_path: Path, edit) -> Path:
    """The tiny instance as one .xlsx workbook (sheets school, students, teachers,
    availability); ``edit(wb)`` breaks it before it is saved."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "school"
    for row in (("key", "value"), ("school.name", "Book"), ("term.start", date(2026, 9, 7)),
                ("term.end", date(2026, 9, 11)), ("term.official_holidays", False)):
        ws.append(row)
    for title, text in (("students", STUDENT_HEAD + students_rows(3)),
                        ("teachers", TEACHER_HEAD + ONE_VOLUNTEER),
                        ("availability", AVAIL_HEAD + ONE_AVAILABILITY)):
        sheet = wb.create_sheet(title)
        for line in text.strip().split("\n"):
            sheet.append(line.split(","))
    edit(wb)
    path = tmp_path / "school.xlsx"
    wb.save(path)
    return path


# -- the bad-input corpora (test_bad_input, test_hostile): one valid school, one edit each

def base(folder: Path) -> Path:
    """The corpus's valid school: ten third-graders, one volunteer on Tuesday afternoon."""
    return write_instance(folder, students=students_rows(10), teachers=ONE_VOLUNTEER,
                          availability=ONE_AVAILABILITY)


def append(name: str, text: str):
    """An edit that appends ``text`` to file ``name``."""
    def go(f: Path):
        p = f / name
        p.write_bytes(p.read_bytes() + text.encode("utf-8"))
    return go


def write(name: str, data: bytes):
    """An edit that replaces file ``name`` by ``data``."""
    return lambda f: (f / name).write_bytes(data)


def digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by its checksum: inputs must come out byte-identical."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def wait_at_fifo(proc, fifo: Path) -> int:
    """A child that blocks at a FIFO hook (``AFTERSCHOOL_*_PAUSE``) has opened the FIFO
    for reading once our non-blocking open for writing succeeds: returns that descriptor,
    which holds the child there until closed. Fails if the child ends first."""
    import errno
    import os
    import time

    import pytest
    deadline = time.monotonic() + 300  # a guard against a hung test, not an assertion
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"the child ended before the hook: {proc.returncode} {err.decode()}")
        assert time.monotonic() < deadline, "the child never reached the hook"
        time.sleep(0.02)
