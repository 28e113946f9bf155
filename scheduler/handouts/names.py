"""People's names as lists show them: in pinyin order, masked for the public, told apart.

- ``pinyin_key(name)``: the sort key of a name in the order a Chinese office expects
  (pinyin syllable by syllable, tones after; 安 before 白 before 陈), a Latin name by its
  letters, the name itself last so that the order is total. ``pypinyin`` reads the
  characters; a surname read otherwise than its character (曾 zeng, 单 shan) is read from
  ``SURNAMES``.
- ``pupil_key(klass, name)``: pupils by class (``3-2`` before ``3-10``), then pinyin.
- ``mask_name(name)``: 张三明 -> 张*明, 李四 -> 李*: the first character and, with three or
  more, the last.
- ``masked_in_class(pupils)``: for (id, class, name) triples, each id's masked name, told
  apart within its class: two pupils of one class whose masks are equal get the last
  digits of their id (学号) beside it, as few as make every one of them distinct
  (``邵*明 (…02)``); pupils of other classes, or with distinct masks, keep the bare mask.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict

from pypinyin import Style, lazy_pinyin


# surnames read otherwise than the character's common reading (曾 is zeng as a surname)
SURNAMES = {"曾": "zeng1", "单": "shan4", "仇": "qiu2", "解": "xie4", "查": "zha1",
            "朴": "piao2", "区": "ou1", "覃": "qin2", "盖": "ge3", "缪": "miao4", "秘": "bi4",
            "尉": "yu4", "乐": "yue4", "翟": "zhai2", "召": "shao4", "种": "chong2",
            "薄": "bo2", "员": "yun4", "句": "gou1", "隗": "wei3", "长": "chang2"}


@functools.lru_cache(maxsize=1 << 14)
def pinyin_key(name: str) -> tuple:
    name = (name or "").strip()
    syllables = lazy_pinyin(name, style=Style.TONE3, errors="default")
    if name[:1] in SURNAMES and syllables:
        syllables[0] = SURNAMES[name[0]]
    plain = tuple(re.sub(r"[0-9]", "", s).casefold() for s in syllables)
    tones = tuple(s.casefold() for s in syllables)
    return plain, tones, name


def class_key(klass: str) -> tuple:
    """``3-2`` -> (3, 2): classes in grade order, 3-10 after 3-9."""
    return tuple((0, int(p)) if p.isdigit() else (1, p)
                 for p in re.split(r"[-\s]+", klass or "") if p)


def pupil_key(klass: str, name: str) -> tuple:
    return class_key(klass), pinyin_key(name)


def mask_name(name: str) -> str:
    """张三明 -> 张*明, 李四 -> 李*, Zhang Wei -> Z*i: keep the first and (if 3+) the last."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" + name[-1]


def masked_in_class(pupils) -> dict[str, str]:
    """Each pupil's masked name, with the tail of the id where two in a class share it."""
    by_mask: dict[tuple[str, str], list[str]] = defaultdict(list)
    out: dict[str, str] = {}
    for sid, klass, name in pupils:
        if sid in out:
            continue
        out[sid] = mask_name(name)
        by_mask[klass, out[sid]].append(sid)
    for (_, mask), ids in by_mask.items():
        if len(ids) < 2:
            continue
        longest = max(len(i) for i in ids)
        for n in range(2, longest + 1):
            tails = [i[-n:] for i in ids]
            if len(set(tails)) == len(tails):
                break
        for sid in ids:
            out[sid] = f"{mask} (…{sid[-n:]})"
    return out
