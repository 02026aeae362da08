"""A plan shaped like Kodaira's published 進捗状況一覧表, written by the tests themselves, and its entries.

Three goals, areas ①–④ with numbers restarting per area, a measure with three owners, one with four related
departments, a year whose entry is 未着手, a 実績なし entry, a 《sub-heading》, long notes, hostile text.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from kpi_report.core.model import CheckReport, Finding, KpiEntry, MeasureEntry, Plan, Submission

PLAN_NAME = "小平市まち・ひと・しごと創生総合戦略"
G1 = "基本目標1「住み続けたいまちの空間をつくる」"
G2 = "基本目標2「子育てと教育のまちをつくる」"
G3 = "基本目標3「にぎわいと活力のまちをつくる」"
HOSTILE_NAME = '=HYPERLINK("http://169.254.169.254/","click")'
HOSTILE_POINTS = (
    "+1",
    "-2",
    "@SUM(A1)",
    "{=1+1}",
    "<script>alert(1)</script>",
    '<img src="file:///etc/passwd">',
)
LONG_POINT = (
    "小川駅西口地区市街地再開発準備組合が行う再開発事業の事業化に向けた検討について、都市計画の手続及び"
    "関係機関との協議の支援を行うとともに、地区内の権利者に対する説明会を開催し、事業計画の素案や"
    "公共施設の配置、駅前広場の整備方針について意見交換を行いました。あわせて、地区周辺の交通量調査を"
    "実施し、歩行者の安全確保と円滑な交通処理のための基礎資料を作成しました。"
)

# 取組ID, goal, area, 名称, 内容, 所管課, 関連課
MEASURES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    (
        "1-1-01",
        G1,
        "① 農のあるまちづくりの推進",
        "市内農家の収入増に向けた取組の支援",
        "営農意欲ある経営体として認定農業者を拡充し、国や東京都の補助も活用しながら、農業経営基盤の強化を図り、"
        "農業収入の増大に向けた支援をしていきます。",
        "産業振興課",
        "",
    ),
    (
        "1-1-02",
        G1,
        "① 農のあるまちづくりの推進",
        "農業体験の推進",
        "市民農園を活用します。",
        "産業振興課",
        "",
    ),
    (
        "1-1-03",
        G1,
        "① 農のあるまちづくりの推進",
        "地産地消の促進",
        "東京むさし農業協同組合の直売所のリニューアルの支援を行い、地産地消の拡大を図ります。",
        "産業振興課",
        "学務課",
    ),
    (
        "1-2-01",
        G1,
        "② 魅力ある都市空間の形成",
        "小川駅西口地区のまちづくり",
        "再開発事業の事業化に向けた支援を行います。",
        "都市開発課\n都市計画課\n産業振興課",
        "",
    ),
    (
        "1-2-02",
        G1,
        "② 魅力ある都市空間の形成",
        "都市計画マスタープランの推進",
        "まちづくりの方針を示します。",
        "都市計画課",
        "地域整備支援課\n水と緑と公園課",
    ),
    (
        "2-1-01",
        G2,
        "① 子育て支援の充実",
        "子ども・子育て支援事業",
        "子育て家庭を地域全体で支えます。",
        "子育て支援課",
        "学務課、地域文化課、健康推進課、保育課",
    ),
    ("2-2-01", G2, "② 教育環境の充実", HOSTILE_NAME, "@SUM(A1)", "学務課", ""),
    (
        "2-3-01",
        G2,
        "③ 学びの場の充実",
        "放課後子ども教室",
        "放課後の居場所をつくります。",
        "地域学習支援課",
        "",
    ),
    ("2-4-01", G2, "④ 健康づくりの推進", "健康診査事業", "健診の受診率を高めます。", "健康推進課", ""),
    (
        "2-4-02",
        G2,
        "④ 健康づくりの推進",
        "新規の健康ポイント事業",
        "令和元年度からの新規事業です。",
        "健康推進課",
        "",
    ),
    ("3-1-01", G3, "① 商工業の振興", "創業支援", "創業を支援します。", "産業振興課", ""),
)

# KPI_ID, goal, area, 指標名, 単位, 基準値, 基準年度, 目標値, 目標年度, 方向, 所管課
KPIS: tuple[tuple[str, ...], ...] = (
    ("G1", G1, "", "住み続けたいと思う市民の割合", "%", "80.5%", "2014", "85%", "2019", "増加", "都市計画課"),
    (
        "K1-1",
        G1,
        "① 農のあるまちづくりの推進",
        "認定農業者数",
        "経営体",
        "60",
        "2014",
        "80",
        "2019",
        "増加",
        "産業振興課",
    ),
    (
        "K2-1",
        G2,
        "① 子育て支援の充実",
        "保育園待機児童数",
        "人",
        "45人",
        "2014",
        "20人",
        "2019",
        "減少",
        "子育て支援課",
    ),
    ("K2-2", G2, "② 教育環境の充実", "学校図書の貸出冊数", "冊", "－", "", "1000", "2019", "増加", "学務課"),
)


def write_master(path: Path, plan_name: str = PLAN_NAME, start_fy: int = 2016) -> Path:
    """Write the Kodaira-shaped master workbook (docs/master-format.md) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("取組")
    for col, header in enumerate(("取組ID", "基本目標", "施策", "名称", "内容", "所管課", "関連課")):
        ws.write_string(0, col, header)
    for r, row in enumerate(MEASURES, start=1):
        for col, value in enumerate(row):
            ws.write_string(r, col, value)
    ws = wb.add_worksheet("KPI")
    headers = (
        "KPI_ID",
        "基本目標",
        "施策",
        "指標名",
        "単位",
        "基準値",
        "基準年度",
        "目標値",
        "目標年度",
        "方向",
        "所管課",
    )
    for col, header in enumerate(headers):
        ws.write_string(0, col, header)
    for r, kpi in enumerate(KPIS, start=1):
        for col, value in enumerate(kpi):
            ws.write_string(r, col, value)
    ws = wb.add_worksheet("設定")
    for r, (key, value) in enumerate(
        (
            ("計画名", plan_name),
            ("自治体名", "小平市"),
            ("計画開始年度", str(start_fy)),
            ("計画終了年度", "2019"),
        )
    ):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value)
    wb.close()
    return path


def _m(fy: int, department: str, measure_id: str, status: str, *notes: str) -> MeasureEntry:
    return MeasureEntry(
        fy=fy,
        department=department,
        measure_id=measure_id,
        status=status,
        notes=notes,
        file=f"{department}.xlsx",
    )


def measure_entries(fy: int) -> list[MeasureEntry]:
    """The entries of one fiscal year (2016 … 2019)."""
    entries = [
        _m(
            fy,
            "産業振興課",
            "1-1-01",
            "実施中",
            f"認定農業者の更新や新規認定の呼びかけを行い、{fy - 2006}経営体が認定を受けました。",
            "経営基盤強化の補助を行う、地域農業担い手支援事業を実施しました。",
        ),
        _m(
            fy,
            "産業振興課",
            "1-1-03",
            "実施中",
            "学校給食等への地場産農産物の利用の促進に対し、補助金を交付しました。",
        ),
        _m(
            fy,
            "都市開発課",
            "1-2-01",
            "実施中",
            "《小川駅西口地区》",
            LONG_POINT,
            "共通の取組：権利者説明会を開催しました。",
        ),
        _m(
            fy,
            "都市計画課",
            "1-2-01",
            "実施中" if fy < 2019 else "完了",
            "都市計画決定の手続を行いました。",
            "共通の取組：権利者説明会を開催しました。",
        ),
        _m(fy, "産業振興課", "1-2-01", "実施中", "駅前のにぎわい創出を検討しました。"),
        _m(fy, "都市計画課", "1-2-02", "実施中", "都市計画マスタープランの中間見直しを行いました。"),
        _m(fy, "子育て支援課", "2-1-01", "実施中", "子育て支援拠点を運営しました。"),
        _m(fy, "学務課", "2-2-01", "実施中", *HOSTILE_POINTS),
        _m(fy, "健康推進課", "2-4-01", "実施中", "特定健診の受診勧奨を行いました。"),
        _m(fy, "産業振興課", "3-1-01", "実施中", "創業セミナーを開催しました。"),
    ]
    if fy == 2016:
        entries.append(_m(fy, "産業振興課", "1-1-02", "未着手", "未着手"))
        entries.append(_m(fy, "地域学習支援課", "2-3-01", "検討中"))  # an entry without notes: year left out
    elif fy == 2017:
        entries.append(
            _m(
                fy,
                "産業振興課",
                "1-1-02",
                "検討中",
                "実績なし (前年度事業の検証を踏まえ、平成30年度の実施手法の検討を行いました。)",
            )
        )
    else:
        entries.append(_m(fy, "産業振興課", "1-1-02", "実施中", "市民農園で農業体験講座を開催しました。"))
    if fy >= 2019:
        entries.append(_m(fy, "健康推進課", "2-4-02", "実施中", "健康ポイント事業を開始しました。"))
        entries.append(_m(fy, "健康推進課", "9-9-99", "実施中", "マスターから削除された取組です。"))
    return entries


def kpi_entries(fy: int) -> list[KpiEntry]:
    """KPI actuals of one fiscal year."""
    return [
        KpiEntry(
            fy=fy, department="産業振興課", kpi_id="K1-1", actual=float(fy - 1950), actual_text=str(fy - 1950)
        ),
        KpiEntry(
            fy=fy,
            department="子育て支援課",
            kpi_id="K2-1",
            actual=float(2060 - fy),
            actual_text=f"{2060 - fy}人",
        ),
        KpiEntry(fy=fy, department="都市計画課", kpi_id="G1", actual=None, actual_text="－"),
    ]


def check_report(fy: int, findings: tuple[Finding, ...] = (), missing: tuple[str, ...] = ()) -> CheckReport:
    """A CheckReport for one year built directly, as check would return it."""
    measures = measure_entries(fy)
    departments = sorted({e.department for e in measures})
    return CheckReport(
        fy=fy,
        findings=findings,
        measure_entries=tuple(measures),
        kpi_entries=tuple(kpi_entries(fy)),
        submissions=tuple(Submission(f"{d}.xlsx", d, "0" * 64, 0, 0) for d in departments),
        missing_departments=missing,
    )


def check_reports(last_fy: int = 2019) -> dict[int, CheckReport]:
    """CheckReports for 2016 … last_fy."""
    return {fy: check_report(fy) for fy in range(2016, last_fy + 1)}


def form_entries(
    plan: Plan, fy: int, department: str
) -> tuple[dict[str, tuple[str, str]], dict[str, object]]:
    """What a department's clerk types for one year: 取組ID -> (進捗状況, 実施状況) and KPI_ID -> 実績値.

    Measures the department owns but has no entry for get 検討中 and a one-line note, so the form checks clean.
    """
    owned = {m.id for m in plan.measures_of(department)}
    measures = {
        e.measure_id: (e.status, "\n".join(e.notes))
        for e in measure_entries(fy)
        if e.department == department and e.measure_id in owned
    }
    for measure_id in sorted(owned - set(measures)):
        measures[measure_id] = ("検討中", "実施方法を検討しました。")
    kpis: dict[str, object] = {
        e.kpi_id: e.actual if e.actual is not None else "－"
        for e in kpi_entries(fy)
        if e.department == department
    }
    return measures, kpis


def write_project(root: Path, years: tuple[int, ...] = (2018, 2019), plan_name: str = PLAN_NAME) -> Path:
    """A project folder with the Kodaira-shaped master and every department's filled form for ``years``.

    The forms are generated by kpi_report.forms.writer and filled through their column names (tools.fill_forms).
    """
    from kpi_report.forms.layout import form_filename
    from kpi_report.forms.writer import build_form
    from kpi_report.plan.master import load_plan
    from tools.fill_forms import fill_form

    plan = load_plan(write_master(root / "inputs" / "master.xlsx", plan_name=plan_name, start_fy=years[0]))
    for fy in years:
        folder = root / "inputs" / str(fy)
        folder.mkdir(parents=True, exist_ok=True)
        for department in plan.departments:
            blank = root / "blank" / form_filename(department)
            blank.parent.mkdir(parents=True, exist_ok=True)
            blank.write_bytes(build_form(plan, fy, department))
            measures, kpis = form_entries(plan, fy, department)
            fill_form(blank, folder / form_filename(department), measures, kpis)
    return root
