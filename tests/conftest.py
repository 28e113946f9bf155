"""Shared helpers: tiny instances written into a temporary folder."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

SCHOOL = """\
[school]
name = "Test School"
language = "en"
[term]
start = 2026-09-07
end = 2026-09-11
official_holidays = false
"""
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


@pytest.fixture
def tiny(tmp_path):
    """A valid one-class instance: 10 third-graders on Tue afternoons, one volunteer."""
    return write_instance(tmp_path / "tiny", students=students_rows(10),
                          teachers="T1,Li,yes,yes,staff,,,3-1,no\n",
                          availability="T1,Tue,after-upper,available\n")


def _bundled_digest() -> dict[str, str]:
    import hashlib
    root = Path(__file__).resolve().parent.parent / "instances"
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="session", autouse=True)
def bundled_inputs_untouched():
    """The whole suite reads the bundled school; its files must be byte-identical after."""
    before = _bundled_digest()
    yield
    assert _bundled_digest() == before, "a test or command wrote into instances/"
