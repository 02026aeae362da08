"""The master loader: good workbooks in any column order, and every problem of a broken one reported at once."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from kpi_report.cli import main
from kpi_report.core.errors import MasterError
from kpi_report.plan.master import check_master, load_plan

GOAL = "基本目標1「住み続けたいまちの空間をつくる」"
AREA = "① 農のあるまちづくりの推進"
MEASURE_HEADER = ["取組ID", "基本目標", "施策", "名称", "内容", "所管課", "関連課", "区分", "予算事業コード"]
KPI_HEADER = [
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
]


def measure(mid: str, name: str = "取組", owners: str = "産業振興課", area: str = AREA) -> list[object]:
    return [mid, GOAL, area, name, "内容です", owners, "", "継続", "0104010242"]


def kpi(
    kid: str, baseline: object = "45 人", target: object = "20人", direction: str = "減少"
) -> list[object]:
    return [
        kid,
        GOAL,
        AREA,
        "待機児童数",
        "人",
        baseline,
        "H27",
        target,
        "平成31年度",
        direction,
        "子育て支援課",
    ]


def write_master(
    path: Path,
    measures: list[list[object]],
    kpis: list[list[object]] | None = None,
    measure_header: list[str] = MEASURE_HEADER,
    settings: Sequence[tuple[str, object]] | None = None,
) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "取組"
    ws.append(measure_header)
    for row in measures:
        ws.append(row)
    if kpis is not None:
        ks = wb.create_sheet("KPI")
        ks.append(KPI_HEADER)
        for row in kpis:
            ks.append(row)
    if settings is not None:
        ss = wb.create_sheet("設定")
        for key, value in settings:
            ss.append([key, value])
    wb.save(path)
    return path


def codes(findings: object) -> list[tuple[str, str]]:
    assert isinstance(findings, list | tuple)
    return [(f.cell, f.code) for f in findings]


def test_good_master_loads_in_master_order(tmp_path: Path) -> None:
    path = write_master(
        tmp_path / "m.xlsx",
        [
            measure("1-1-01", "一つ目", owners="産業振興課\n学務課"),
            [],
            measure("1-1-02", "二つ目", owners="都市計画課、地域整備支援課"),
            measure("1-2-01", "三つ目", area="② 別の施策"),
        ],
        [kpi("K1")],
    )
    plan = load_plan(path)
    assert [m.id for m in plan.measures] == ["1-1-01", "1-1-02", "1-2-01"]
    assert [m.number for m in plan.measures] == ["1", "2", "1"]  # restarts in each area
    assert plan.measures[0].owners == ("産業振興課", "学務課")
    assert plan.measures[1].owners == ("都市計画課", "地域整備支援課")
    assert plan.measures[0].budget_codes == ("0104010242",)
    assert [a.title for a in plan.goals[0].areas] == [AREA, "② 別の施策"]
    k = plan.kpis[0]
    assert (k.baseline, k.target, k.baseline_fy, k.target_fy, k.direction) == (45.0, 20.0, 2015, 2019, "減少")
    assert plan.departments == ("産業振興課", "学務課", "都市計画課", "地域整備支援課", "子育て支援課")


def test_columns_found_by_name_in_any_order_and_extra_columns_ignored(tmp_path: Path) -> None:
    header = ["備考", *reversed(MEASURE_HEADER)]
    path = write_master(tmp_path / "m.xlsx", [["メモ", *reversed(measure("X-1"))]], measure_header=header)
    plan = load_plan(path)
    assert plan.measures[0].id == "X-1"
    assert plan.measures[0].name == "取組"


def test_settings_sheet(tmp_path: Path) -> None:
    path = write_master(
        tmp_path / "m.xlsx",
        [measure("1")],
        settings=[
            ("計画名", "小平市総合戦略"),
            ("計画開始年度", "H27"),
            ("和暦", "平成31年度"),
            ("進捗状況", "実施中、完了"),
        ],
    )
    s = load_plan(path).settings
    assert (s.plan_name, s.start_fy, s.reiwa_for_2019, s.statuses) == (
        "小平市総合戦略",
        2015,
        False,
        ("実施中", "完了"),
    )


def test_plan_name_and_city_are_limited_in_length(tmp_path: Path) -> None:
    """The review repeats the plan name in every page header; 5,000 characters there made build hang."""
    path = write_master(
        tmp_path / "m.xlsx", [measure("1")], settings=[("計画名", "計" * 101), ("自治体名", "市" * 101)]
    )
    with pytest.raises(MasterError) as info:
        load_plan(path)
    assert codes(info.value.findings) == [("B1", "master-bad-setting"), ("B2", "master-bad-setting")]
    assert "100文字以内" in info.value.findings[0].message
    path = write_master(tmp_path / "ok.xlsx", [measure("1")], settings=[("計画名", "計" * 100)])
    assert load_plan(path).settings.plan_name == "計" * 100


@pytest.mark.parametrize(
    ("settings", "finding", "words"),
    [
        ([("進捗状況", "、、、")], ("B1", "master-bad-setting"), "区切って"),
        (
            [("進捗状況", "実施中、完了、実施中")],
            ("B1", "master-setting-conflict"),
            "2回以上あります（実施中）",
        ),
        # the same status once the clerk's choice is normalised (half-width dot, full-width letters)
        ([("進捗状況", "完了、休止・中止、休止･中止")], ("B1", "master-setting-conflict"), "（休止･中止）"),
        ([("実施状況の最大文字数", "0")], ("B1", "master-bad-setting"), "1〜32,767"),
        ([("実施状況の最大文字数", "40000")], ("B1", "master-bad-setting"), "1〜32,767"),
        ([("実施状況の最大文字数", "2_000")], ("B1", "master-bad-setting"), "1〜32,767"),
        ([("実施状況の最大文字数", "\u0662\u0660\u0660\u0660")], ("B1", "master-bad-setting"), "1〜32,767"),
        (
            [("計画開始年度", "R2"), ("計画終了年度", "H30")],
            ("B2", "master-setting-conflict"),
            "計画開始年度（R2）以降",
        ),
        ([("評価A", "50%"), ("評価B", "80%")], ("B2", "master-setting-conflict"), "A 50%、B 80%、C 0%"),
        ([("評価B", "120%")], ("B1", "master-setting-conflict"), "A > B > C"),
        ([("評価A", ""), ("評価C", "60%")], ("B2", "master-setting-conflict"), "C 60%"),  # not the empty cell
        ([("評価A", datetime.datetime(2020, 3, 2))], ("B1", "master-bad-setting"), "達成率の下限"),
        ([("評価A", "1e3")], ("B1", "master-bad-setting"), "達成率の下限"),
    ],
)
def test_settings_that_cannot_work_are_findings(
    tmp_path: Path, settings: list[tuple[str, object]], finding: tuple[str, str], words: str
) -> None:
    """Each of these was accepted before and broke later: an empty status drop-down, a clerk's choice stored
    as another status, forms refusing every note, a plan ending before it starts, grades never given."""
    path = write_master(tmp_path / "m.xlsx", [measure("1")], settings=settings)
    with pytest.raises(MasterError) as info:
        load_plan(path)
    assert codes(info.value.findings) == [finding]
    assert words in info.value.findings[0].message


def test_settings_at_their_limits_are_accepted(tmp_path: Path) -> None:
    settings = [
        ("実施状況の最大文字数", "３２，７６７"),
        ("計画開始年度", "H27"),
        ("計画終了年度", "H27"),
        ("評価A", "100%"),
        ("評価B", "60%"),
    ]
    s = load_plan(write_master(tmp_path / "m.xlsx", [measure("1")], settings=settings)).settings
    assert (s.notes_max_chars, s.start_fy, s.end_fy, s.grades.b) == (32767, 2015, 2015, 0.6)


def test_a_date_in_a_kpi_value_is_not_read_as_its_year(tmp_path: Path) -> None:
    path = write_master(
        tmp_path / "m.xlsx", [measure("1")], [kpi("K1", baseline=datetime.datetime(2019, 4, 1))]
    )
    with pytest.raises(MasterError) as info:
        load_plan(path)
    assert codes(info.value.findings) == [("F2", "master-not-a-number")]


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    path = write_master(
        tmp_path / "m.xlsx",
        [measure("1-1-01"), measure("1-1-01"), [*measure("1-1-03")[:3], "", "内容", "課"]],
        [
            kpi("K1", direction="上昇"),
            kpi("K2", target="たくさん"),
            kpi("K1"),
            [*kpi("K3")[:1], "基本目標9「ない目標」", *kpi("K3")[2:]],
            [*kpi("K4")[:6], "来年", *kpi("K4")[7:]],
        ],
    )
    with pytest.raises(MasterError) as info:
        load_plan(path)
    assert codes(info.value.findings) == [
        ("A3", "master-duplicate-id"),
        ("D4", "master-missing-value"),
        ("J2", "master-unknown-direction"),
        ("H3", "master-not-a-number"),
        ("A4", "master-duplicate-id"),
        ("B5", "master-kpi-unknown-goal"),
        ("G6", "master-bad-fiscal-year"),
    ]
    first = info.value.findings[0]
    assert "A2" in first.message and "重複" in first.message  # names both places


def test_kpi_area_must_match_a_measure_area(tmp_path: Path) -> None:
    path = write_master(tmp_path / "m.xlsx", [measure("1")], [[*kpi("K1")[:2], "⑨ ない施策", *kpi("K1")[3:]]])
    _, findings = check_master(path)
    assert codes(findings) == [("C2", "master-kpi-unknown-area")]


def test_budget_code_typed_as_a_number_is_a_warning(tmp_path: Path) -> None:
    path = write_master(tmp_path / "m.xlsx", [[*measure("1")[:8], 104010242]])
    plan, findings = check_master(path)
    assert codes(findings) == [("I2", "master-code-as-number")]
    assert plan is not None and plan.measures[0].budget_codes == ("104010242",)


def test_missing_required_columns_are_all_listed(tmp_path: Path) -> None:
    header = [h for h in MEASURE_HEADER if h not in ("名称", "所管課")]
    path = write_master(
        tmp_path / "m.xlsx", [["1", GOAL, AREA, "内容", "", "継続", ""]], measure_header=header
    )
    _, findings = check_master(path)
    assert [(f.code, f.message) for f in findings if f.code == "master-missing-column"] == [
        (
            "master-missing-column",
            "必須列「名称」がありません。1行目の見出しに「名称」を追加してください。",
        ),
        (
            "master-missing-column",
            "必須列「所管課」がありません。1行目の見出しに「所管課」を追加してください。",
        ),
    ]


def test_a_missing_column_does_not_hide_the_other_problems_or_invent_new_ones(tmp_path: Path) -> None:
    """Without 名称, a duplicate 取組ID is still reported, and the KPIs' 基本目標 (which is there) is not."""
    header = [h for h in MEASURE_HEADER if h != "名称"]
    row = [v for h, v in zip(MEASURE_HEADER, measure("1"), strict=True) if h != "名称"]
    path = write_master(tmp_path / "m.xlsx", [row, row], [kpi("K1"), kpi("K2")], measure_header=header)
    _, findings = check_master(path)
    assert codes(findings) == [("1行目", "master-missing-column"), ("A3", "master-duplicate-id")]


def test_a_missing_kpi_column_still_reports_the_other_kpi_rows(tmp_path: Path) -> None:
    path = write_master(tmp_path / "m.xlsx", [measure("1")], [kpi("K1"), kpi("K1", direction="?")])
    wb = load_workbook(path)
    wb["KPI"].delete_cols(KPI_HEADER.index("目標値") + 1)
    wb.save(path)
    _, findings = check_master(path)
    assert [f.code for f in findings] == ["master-missing-column", "master-duplicate-id"]


def test_the_submission_department_and_deadline_are_settings(tmp_path: Path) -> None:
    settings = [("提出先", "政策推進課"), ("提出期限", datetime.datetime(2024, 5, 31))]
    s = load_plan(write_master(tmp_path / "m.xlsx", [measure("1")], settings=settings)).settings
    assert (s.submit_to, s.deadline) == ("政策推進課", datetime.date(2024, 5, 31))
    typed = [("提出期限", "令和6年5月31日")]
    assert load_plan(write_master(tmp_path / "t.xlsx", [measure("1")], settings=typed)).settings.deadline == (
        datetime.date(2024, 5, 31)
    )
    default = load_plan(write_master(tmp_path / "d.xlsx", [measure("1")])).settings
    assert (default.submit_to, default.deadline) == ("企画課", None)


def test_a_deadline_that_is_not_a_date_is_a_finding(tmp_path: Path) -> None:
    path = write_master(tmp_path / "m.xlsx", [measure("1")], settings=[("提出期限", "5月末")])
    _, findings = check_master(path)
    assert codes(findings) == [("B1", "master-bad-setting")]
    assert "2024-05-31" in findings[0].message


def test_the_issue_date_belongs_to_its_report_year(tmp_path: Path) -> None:
    lines = "2018: 令和元年6月\n令和元年度：令和2年6月1日"
    s = load_plan(write_master(tmp_path / "m.xlsx", [measure("1")], settings=[("発行日", lines)])).settings
    assert (s.issue_date_for(2018), s.issue_date_for(2019), s.issue_date_for(2020)) == (
        "令和元年6月",
        "令和2年6月1日",
        "",
    )
    plain = [("発行日", "令和2年6月")]
    s = load_plan(write_master(tmp_path / "p.xlsx", [measure("1")], settings=plain)).settings
    assert s.issue_date_for(2018) == s.issue_date_for(2019) == "令和2年6月"  # no year: every year


@pytest.mark.parametrize("lines", ["2018: 令和元年6月\n2018: 令和元年7月", "令和元年6月\n令和2年6月"])
def test_an_issue_date_given_twice_for_a_year_is_a_finding(tmp_path: Path, lines: str) -> None:
    path = write_master(tmp_path / "m.xlsx", [measure("1")], settings=[("発行日", lines)])
    _, findings = check_master(path)
    assert codes(findings) == [("B1", "master-bad-setting")]


def test_cli_plan_prints_the_masters_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "inputs").mkdir()
    write_master(tmp_path / "inputs" / "master.xlsx", [[*measure("1")[:8], 104010242]])
    assert main(["plan", "--project", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "マスターの警告 1 件" in out
    assert (
        "[警告] master.xlsx シート『取組』I2: 予算事業コード「104010242」が数値として入力されています" in out
    )


def test_cli_plan_with_errors_prints_the_warnings_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "inputs").mkdir()
    code_as_number = [*measure("1")[:8], 104010242]
    write_master(tmp_path / "inputs" / "master.xlsx", [code_as_number, measure("1")])
    assert main(["plan", "--project", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "エラー 1 件・警告 1 件" in err
    assert err.index("master-duplicate-id") < err.index("master-code-as-number")  # errors first


def test_missing_and_unreadable_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(MasterError, match="ありません"):
        load_plan(tmp_path / "none.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(MasterError, match="読めません"):
        load_plan(broken)


def test_sheet_missing(tmp_path: Path) -> None:
    wb = Workbook()
    wb.save(tmp_path / "m.xlsx")
    _, findings = check_master(tmp_path / "m.xlsx")
    assert [f.code for f in findings] == ["master-missing-sheet"]


def test_cli_plan_exits_2_listing_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "inputs").mkdir()
    write_master(
        tmp_path / "inputs" / "master.xlsx", [measure("1"), measure("1")], [kpi("K1", direction="?")]
    )
    assert main(["plan", "--project", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "master-duplicate-id" in err and "master-unknown-direction" in err
    assert "Traceback" not in err


def test_cli_init_then_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "new")]) == 0
    assert main(["plan", "--project", str(tmp_path / "new")]) == 0
    out = capsys.readouterr().out
    assert "取組 1" in out and "産業振興課" in out
    assert main(["init", str(tmp_path / "new")]) == 2  # never overwrites


def test_cli_init_with_an_empty_name_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", ""]) == 2 and main(["init", "  "]) == 2
    assert "フォルダー名を指定" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_cli_init_into_a_file_or_an_impossible_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "master.xlsx"
    afile.write_bytes(b"x")
    assert main(["init", str(afile)]) == 2
    assert "ファイルです" in capsys.readouterr().err
    assert main(["init", str(afile / "sub")]) == 2
    err = capsys.readouterr().err
    assert "作成できません" in err and "Traceback" not in err and "予期しない" not in err
    assert afile.read_bytes() == b"x"


def test_cli_plan_on_missing_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--project", str(tmp_path / "nope")]) == 2
    assert "--project" in capsys.readouterr().err


def test_sample_plan_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--project", str(Path(__file__).resolve().parents[1])]) == 0
    out = capsys.readouterr().out
    assert "基本目標 4 / 施策 10 / 取組 60 / KPI 18 / 数値目標 5 / 所管課 18" in out


class _ClosedPipe:
    """stdout of `kpi-report … | head -1` after head has exited."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def isatty(self) -> bool:
        return False


def test_cli_output_piped_into_a_closed_pipe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["init", str(tmp_path / "p")]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert main(["plan", "--project", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "パイプ" in err and "予期しない" not in err and len(err.strip().splitlines()) == 1
