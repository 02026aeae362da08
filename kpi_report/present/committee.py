"""The 外部評価 chapter's text, decided once: the tallies, each opinion with its member and the city's response,
the overall opinions and the summary line (every renderer formats from :class:`CommitteeView`)."""

from __future__ import annotations

from dataclasses import dataclass

from kpi_report.core.model import CommitteeArea, CommitteeComment, CommitteeReport

NO_RESPONSE = "（市の対応は未記入）"
CHAPTER_TITLE = "外部評価"
OVERALL_ID = "全体"  # the sheet's 施策ID of an overall opinion
SHEET_AREA_HEADERS = ("施策ID", "基本目標", "施策")
SHEET_OPINION_HEADERS = ("委員", "評価", "意見", "市の対応")


@dataclass(frozen=True)
class CommentView:
    """One opinion as printed."""

    comment: CommitteeComment
    member: str
    rating: str  # '－' when the member gave none
    opinion: str
    response: str  # NO_RESPONSE when blank


@dataclass(frozen=True)
class CommitteeAreaView:
    """One 施策's tally and opinions as printed."""

    area: CommitteeArea
    id: str
    goal: str
    title: str
    counts: tuple[int, ...]  # in CommitteeView.scale order
    rated: int
    tally_text: str  # '順調 2・概ね順調 3・やや遅れ 0・遅れ 0'
    comments: tuple[CommentView, ...]


@dataclass(frozen=True)
class CommitteeView:
    """The chapter: the scale, each 施策, the overall opinions, the summary line and the sheet's rows."""

    report: CommitteeReport
    scale: tuple[str, ...]
    areas: tuple[CommitteeAreaView, ...]
    overall: tuple[tuple[str, str], ...]  # (member as printed, 全体意見)
    summary_line: str
    totals_text: str
    sheet_headers: tuple[
        str, ...
    ]  # 施策ID, 基本目標, 施策, one count column per rating, 委員, 評価, 意見, 市の対応
    sheet_rows: tuple[tuple[str | int, ...], ...]  # the progress list's sheet 外部評価: per opinion (or 施策)


def tally_text(scale: tuple[str, ...], counts: tuple[int, ...]) -> str:
    """'順調 2・概ね順調 3・やや遅れ 0・遅れ 0'."""
    return "・".join(f"{label} {n}" for label, n in zip(scale, counts, strict=True))


def present_committee(report: CommitteeReport | None) -> CommitteeView | None:
    """The chapter's views; None when the plan has no committee."""
    if report is None:
        return None
    areas = []
    rows: list[tuple[str | int, ...]] = []
    for area in report.areas:
        comments = tuple(
            CommentView(c, c.member, c.rating or "－", c.opinion, c.response or NO_RESPONSE)
            for c in area.comments
        )
        tally = tally_text(report.scale, area.tally)
        areas.append(
            CommitteeAreaView(area, area.id, area.goal, area.title, area.tally, area.rated, tally, comments)
        )
        head: tuple[str | int, ...] = (area.id, area.goal, area.title, *area.tally)
        if area.comments:
            rows.extend((*head, c.member, c.rating, c.opinion, c.response) for c in area.comments)
        else:
            rows.append((*head, "", "", "", ""))
    blank_counts = ("",) * len(report.scale)
    rows.extend(
        (OVERALL_ID, "", "全体意見", *blank_counts, member, "", text, "") for member, text in report.overall
    )
    totals = tally_text(report.scale, report.totals)
    opinions = sum(len(a.comments) for a in report.areas)
    summary = (
        f"{CHAPTER_TITLE}: 委員 {report.members} 人のうち {report.responded} 人が評価しました"
        f"（{totals}）。意見 {opinions} 件と市の対応を「{CHAPTER_TITLE}」に載せています。"
    )
    return CommitteeView(
        report=report,
        scale=report.scale,
        areas=tuple(areas),
        overall=report.overall,
        summary_line=summary,
        totals_text=totals,
        sheet_headers=(*SHEET_AREA_HEADERS, *report.scale, *SHEET_OPINION_HEADERS),
        sheet_rows=tuple(rows),
    )
