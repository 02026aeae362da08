"""The catalogue of finding codes: severity and Japanese message template per code."""

from __future__ import annotations

from typing import Any

from kpi_report.model import Finding, Severity

# code -> (severity, message template). Templates use str.format fields given by the caller.
CATALOGUE: dict[str, tuple[Severity, str]] = {
    # master (inputs/master.xlsx)
    "master-missing-sheet": ("error", "シート『{sheet}』がありません。シート名を『{sheet}』にしてください。"),
    "master-missing-column": (
        "error",
        "シート『{sheet}』に必須列「{column}」がありません。1行目の見出しに「{column}」を追加してください。",
    ),
    "master-missing-value": ("error", "{cell}: 「{column}」が空です。値を入力してください。"),
    "master-duplicate-id": (
        "error",
        "{cell}: {column}「{value}」が重複しています（{other}と同じ）。一意のIDにしてください。",
    ),
    "master-unknown-direction": (
        "error",
        "{cell}: 方向「{value}」は使えません。増加・減少・維持 のいずれかにしてください。",
    ),
    "master-not-a-number": (
        "error",
        "{cell}: {column}「{value}」を数値として読めません。「45人」「73.2%」「－」のように入力してください。",
    ),
    "master-bad-fiscal-year": ("error", "{cell}: {column}「{value}」を年度として読めません。{help}"),
    "master-unknown-category": (
        "error",
        "{cell}: 区分「{value}」は使えません。継続・新規・拡充・検討 のいずれかにしてください。",
    ),
    "master-kpi-unknown-goal": (
        "error",
        "{cell}: 基本目標「{value}」はシート『取組』にありません。取組シートと同じ表記にしてください。",
    ),
    "master-kpi-unknown-area": (
        "error",
        "{cell}: 施策「{value}」はこの基本目標の取組にありません。取組シートと同じ表記にしてください。",
    ),
    "master-bad-setting": ("error", "{cell}: 設定「{key}」の値「{value}」を読めません。{help}"),
    "master-code-as-number": (
        "warning",
        "{cell}: 予算事業コード「{value}」が数値として入力されています。先頭の0が消えていないか確認し、書式を「文字列」にして入力し直してください。",
    ),
    "master-no-measures": ("error", "シート『取組』に取組が1件もありません。"),
    "master-text-cleaned": (
        "warning",
        "{cell}: 制御文字・ゼロ幅文字などを取り除きました。表示を確認してください。",
    ),
    # merge (build)
    "status-conflict": (
        "warning",
        "取組「{item_id}」の進捗状況が所管課の間で異なります（{value}）。一覧表には筆頭所管課の「{shown}」を表示します。"
        "所管課間で調整して同じ進捗状況を記入してください。",
    ),
    # diff (two progress lists)
    "diff-matched-by-name": (
        "warning",
        "シート『{sheet}』に取組ID列がないため、基本目標・施策・名称で照合しました。名称を変えた取組は削除と追加として"
        "表示されます。正確に照合するには kpi-report build で作った一覧（取組ID列付き）を使ってください。",
    ),
    "diff-duplicate-key": (
        "warning",
        "{cell}: 「{value}」が一覧の中で重複しています。2件目以降は別の行として比較しました。一覧を確認してください。",
    ),
    "diff-no-kpi-sheet": (
        "warning",
        "KPIのシート（「KPI_ID」「指標名」の見出し行）がないため、KPIは比較していません。"
        "KPIも比較するには、KPIシート付きの一覧を指定してください。",
    ),
}


def make_finding(
    code: str,
    *,
    file: str = "",
    sheet: str = "",
    cell: str = "",
    item_id: str = "",
    value: object = "",
    department: str = "",
    **params: Any,
) -> Finding:
    """Build a Finding from the catalogue; ``params`` fill the message template."""
    severity, template = CATALOGUE[code]
    text_value = "" if value is None else str(value)
    where = f"シート『{sheet}』{cell}" if sheet and cell else cell
    message = template.format(sheet=sheet, cell=where, value=text_value, item_id=item_id, **params)
    return Finding(
        code=code,
        severity=severity,
        message=message,
        file=file,
        sheet=sheet,
        cell=cell,
        item_id=item_id,
        value=text_value,
        department=department,
    )
