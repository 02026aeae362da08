"""The committee's part of the report model: tallies per 施策, opinions with the city's responses, overall
opinions (:class:`kpi_report.core.model.CommitteeReport`), from the checked committee inputs."""

from __future__ import annotations

from kpi_report.committee.layout import committee_areas, display_names
from kpi_report.core.model import (
    CommitteeArea,
    CommitteeCheck,
    CommitteeComment,
    CommitteeOpinion,
    CommitteeReport,
    Plan,
)


def committee_report(plan: Plan, check: CommitteeCheck) -> CommitteeReport | None:
    """The 外部評価 chapter's model; None for a plan without members (the review renders as before)."""
    if not plan.members:
        return None
    scale = plan.settings.committee_scale
    names = display_names(plan)
    order = {m.id: i for i, m in enumerate(plan.members)}
    responses = {(r.member_id, r.area_id): r.response for r in check.responses}
    by_area: dict[str, list[CommitteeOpinion]] = {}
    for o in sorted(check.opinions, key=lambda o: order.get(o.member_id, len(order))):
        by_area.setdefault(o.area_id, []).append(o)
    areas = []
    for area in committee_areas(plan):
        opinions = by_area.get(area.id, [])
        tally = tuple(sum(1 for o in opinions if o.rating == label) for label in scale)
        comments = tuple(
            CommitteeComment(
                member=names.get(o.member_id, o.member_id),
                rating=o.rating,
                opinion=o.opinion,
                response=responses.get((o.member_id, o.area_id), ""),
            )
            for o in opinions
            if o.opinion
        )
        areas.append(CommitteeArea(area.id, area.goal, area.title, tally, comments))
    overall = tuple(
        (names.get(member_id, member_id), text)
        for member_id, text in sorted(check.overall, key=lambda x: order.get(x[0], len(order)))
    )
    return CommitteeReport(
        scale=scale,
        members=len(plan.members),
        responded=len(check.submitted),
        areas=tuple(areas),
        overall=overall,
        named=plan.settings.member_names,
    )
