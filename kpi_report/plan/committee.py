"""The master's 外部評価 parts: the optional sheet 委員 (the committee's members) and the 設定 keys 委員評価 (the
rating scale) and 委員名の公表 (whether the review names the members).

A plan without the sheet has no committee and renders as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from kpi_report.core import columns
from kpi_report.core.columns import MASTER_MEMBERS
from kpi_report.core.findings import Code
from kpi_report.core.model import Member
from kpi_report.core.values import normalize_choice

MEMBERS_SHEET = "委員"
MEMBERS_REQUIRED = columns.required(MASTER_MEMBERS)
MAX_SCALE = 10  # ratings a member chooses from; the chapter's bars and tables are laid out for at most this

Bad = Callable[[str, str, Code], None]  # (key, help, code): report a setting that cannot work


def read_committee_settings(values: Mapping[str, tuple[str, int]], bad: Bad) -> dict[str, Any]:
    """The Settings fields of 委員評価 and 委員名の公表 present in 設定 (``values``: key → (text, row))."""
    kwargs: dict[str, Any] = {}
    text = values.get("委員評価", ("", 0))[0]
    if text:
        scale = tuple(s.strip() for s in re.split(r"[、,，\n]", text) if s.strip())
        keys = [normalize_choice(s) for s in scale]
        if len(scale) < 2 or len(scale) > MAX_SCALE:
            bad(
                "委員評価",
                f"「順調、概ね順調、やや遅れ、遅れ」のように、2〜{MAX_SCALE}個の評価をよい順に「、」で区切って入力してください。",
                "master-bad-setting",
            )
        elif len(set(keys)) != len(keys):
            bad("委員評価", "同じ評価が2回以上あります。1回ずつにしてください。", "master-setting-conflict")
        elif any('"' in s for s in scale):
            bad("委員評価", '評価に「"」は使えません。', "master-bad-setting")
        else:
            kwargs["committee_scale"] = scale
    names = normalize_choice(values.get("委員名の公表", ("", 0))[0])
    if names:
        if names in ("する", "公表する"):
            kwargs["member_names"] = True
        elif names in ("しない", "公表しない"):
            kwargs["member_names"] = False
        else:
            bad("委員名の公表", "「する」または「しない」と入力してください。", "master-bad-setting")
    return kwargs


def read_members(reader: Any) -> list[Member]:
    """The rows of sheet 委員: each a member with a stable 委員ID and a name."""
    if not reader.require(MEMBERS_REQUIRED):
        return []
    members: list[Member] = []
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    for row in reader:
        v = row.values
        if reader.missing_values(row, MEMBERS_REQUIRED):
            continue
        if v["委員ID"] in ids:
            reader.report(row, "master-duplicate-id", "委員ID", other=ids[v["委員ID"]])
            continue
        if v["氏名"] in names:  # the member's workbook is named after them: two would overwrite each other
            reader.report(row, "master-duplicate-id", "氏名", other=names[v["氏名"]])
            continue
        ids[v["委員ID"]] = row.ref("委員ID")
        names[v["氏名"]] = row.ref("氏名")
        members.append(Member(id=v["委員ID"], name=v["氏名"], group=v.get("区分", ""), row=row.number))
    return members
