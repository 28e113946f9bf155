"""Accounts of the office's page (``afterschool user``): kept in the term's record.

Shape
- ``add(term, name, role, staff, password, by)``, ``set_password``, ``remove``: one row
  each in the record's ``users`` table (append-only: a password change or a removal is a
  new row for the name), written in one ``Record.write`` transaction by ``by``.
- ``accounts(term)``: name -> the account as it stands (removed ones left out).
- ``verify(account, password)``: the password against the stored argon2id hash.
Rules: a name is 1-64 printable characters; role ``office`` or ``teacher``; a teacher
names the staff id (工号) of a person of the term's plan, an office account none; a
password has 8-256 characters and is never stored, printed or taken as an argument.
"""
from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from afterschool.models.errors import InputError, Problem
from afterschool.scheduler.reading.clean import clean_text

ROLES = ("office", "teacher")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Account:
    id: int  # the row in force: changes with every password change
    name: str
    role: str
    staff: str | None
    password_hash: str


def _lock(term) -> str:
    from afterschool.scheduler.record.term import lock_key
    return lock_key(term.key)


def check_name(name: str) -> str:
    text, found = clean_text(name.strip(), limit=max(len(name), 1))
    if not text or found or len(text) > 64:
        raise InputError([Problem("NAME", "not a usable account name", value=name,
                                  expected="1-64 printable characters")])
    return text


def check_password(password: str) -> str:
    if not 8 <= len(password) <= 256 or any(c in password for c in "\r\n\x00"):
        raise InputError([Problem("password", "not a usable password",
                                  expected="8-256 characters on one line")])
    return password


def accounts(term) -> dict[str, Account]:
    with term.record.read() as r:
        rows = r.users(term.term_id)
    return {n: Account(x["id"], n, x["role"], x["staff"], x["password_hash"])
            for n, x in rows.items()}


def _staff_ids(term, w) -> dict[str, dict]:
    return term.current(w).extra.get("people", {}).get("staff", {})


def add(term, name: str, role: str, staff: str | None, password: str, by: str) -> None:
    name = check_name(name)
    check_password(password)
    if role not in ROLES:
        raise InputError([Problem("--role", "unknown role", value=role,
                                  expected="office or teacher")])
    with term.record.write(by, "user add", _lock(term)) as w:
        if name in w.users(term.term_id):
            raise InputError([Problem("NAME", "an account of that name exists",
                                      value=name, expected="another name, or "
                                      "afterschool user password")])
        if role == "teacher":
            known = _staff_ids(term, w)
            match = [k for k in known if staff is not None and k.casefold() == staff.casefold()]
            if not match:
                raise InputError([Problem("--staff", "a teacher's account needs the 工号 "
                                          "of a person of this term", value=staff)])
            staff = match[0]
        elif staff is not None:
            raise InputError([Problem("--staff", "only a teacher's account names a person",
                                      value=staff)])
        w.user(term.term_id, name, role, staff, _hasher.hash(password))


def set_password(term, name: str, password: str, by: str) -> None:
    check_password(password)
    with term.record.write(by, "user password", _lock(term)) as w:
        old = w.users(term.term_id).get(name)
        if old is None:
            raise InputError([Problem("NAME", "no such account", value=name)])
        w.user(term.term_id, name, old["role"], old["staff"], _hasher.hash(password))


def remove(term, name: str, by: str) -> None:
    with term.record.write(by, "user remove", _lock(term)) as w:
        old = w.users(term.term_id).get(name)
        if old is None:
            raise InputError([Problem("NAME", "no such account", value=name)])
        w.user(term.term_id, name, old["role"], old["staff"], old["password_hash"],
               active=False)


_DUMMY = _hasher.hash("not a password of anyone")


def verify(account: Account | None, password: str) -> bool:
    """True when ``password`` is the account's (an unknown name costs the same time)."""
    try:
        return _hasher.verify(account.password_hash if account else _DUMMY, password) \
            and account is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
