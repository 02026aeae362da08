"""The catalogue of finding codes: severity and Japanese message template per code."""

from __future__ import annotations

from typing import Any

from kpi_report.core.model import Finding, Severity

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
    "master-setting-conflict": ("error", "{cell}: 設定「{key}」の値「{value}」は使えません。{help}"),
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
    # intake (kpi_report/intake.py): what a returned file is, and whether it is safe to read
    "skipped-file": ("info", "提出ファイルではないため読み飛ばしました（{reason}）。"),
    "empty-file": (
        "error",
        "ファイルが空（0 バイト）です。保存か添付に失敗した可能性があります。Excel で開けることを確かめて、もう一度送ってもらってください。",
    ),
    "unreadable-file": (
        "error",
        "ファイルを読み取れません（{reason}）。ダウンロードが途中で切れたか、壊れている可能性があります。"
        "Excel で開けることを確かめ、.xlsx 形式で保存し直して送ってもらってください。",
    ),
    "file-too-large": (
        "error",
        "ファイルが {size} あり、上限 {limit} を超えるため読み取りません。調査票に記入し直して送ってもらってください。",
    ),
    "legacy-format": (
        "error",
        "中身が {value} のファイルです（拡張子ではなく中身で判定）。このままでは読み取れません。"
        "Excel で開き、「名前を付けて保存」で「Excel ブック (*.xlsx)」を選んで保存し直して送ってください。",
    ),
    "encrypted-workbook": (
        "error",
        "パスワードで保護（暗号化）されたブックのため読み取れません。"
        "「ファイル → 情報 → ブックの保護 → パスワードを使用して暗号化」でパスワードを消して保存し、もう一度送ってください。",
    ),
    "macro-workbook": (
        "warning",
        "マクロ付きブックです。マクロは実行せず、セルに保存された値だけを読みました。"
        "「Excel ブック (*.xlsx)」形式で保存し直して送ってください。",
    ),
    "wrong-extension": (
        "warning",
        "中身は Excel ブック（.xlsx）ですが、拡張子が「{value}」です。ファイル名の拡張子を .xlsx に直してください。",
    ),
    "archive-too-many-parts": (
        "error",
        "ファイル内の部品が {count} 個あり、上限 {limit} 個を超えるため、安全のため読み取りません。"
        "調査票に記入し直して送ってもらってください。",
    ),
    "archive-too-large": (
        "error",
        "展開後の大きさが {size} あり、上限 {limit} を超えるため、安全のため展開しません（圧縮爆弾の疑い）。"
        "調査票に記入し直して送ってもらってください。",
    ),
    "archive-ratio": (
        "error",
        "部品「{value}」の圧縮率が {ratio} 倍で上限 {limit} 倍を超えるため、安全のため展開しません（圧縮爆弾の疑い）。"
        "調査票に記入し直して送ってもらってください。",
    ),
    "xml-doctype": (
        "error",
        "部品「{value}」に DTD・エンティティ宣言があります。Excel が保存するブックには含まれないもので、"
        "安全のため読み取りません（エンティティ展開・外部ファイル参照の疑い）。調査票に記入し直して送ってもらってください。",
    ),
    "sheet-too-large": (
        "error",
        "シート『{sheet}』のセルが {limit} 個を超えるため、安全のため読み取りを中止しました。"
        "不要な行・列を削除して保存し直してください。",
    ),
    "external-link": (
        "warning",
        "外部ブックへのリンク（{value}）があります。リンク先は開かず、更新もしていません（保存された値を使用）。"
        "「データ → リンクの編集 → リンクの解除」でリンクを解除してください。",
    ),
    "data-connection": (
        "warning",
        "外部データ接続（{value}）があります。接続は実行していません。「データ → クエリと接続」から接続を削除してください。",
    ),
    "dde-link": (
        "warning",
        "DDE リンク（{value}）があります。実行も更新もしていません。リンクを削除して保存し直してください。",
    ),
    # check (kpi_report/check.py): the returned department workbooks
    "missing-submission": (
        "error",
        "所管課「{name}」の提出がありません。調査票（outputs/{fy}/forms/）を送り、記入して返送するよう依頼してください。",
    ),
    "duplicate-submission": (
        "error",
        "所管課「{name}」のブックが複数あります（{others}）。どれを採用するかは推測しません。"
        "正しいもの1つだけを inputs に残してください。",
    ),
    "unknown-department": (
        "error",
        "所管課を特定できません（{reason}）。kpi-report forms で作った調査票に記入するか、"
        "ファイル名を所管課名（例: 総務課.xlsx）にしてください。",
    ),
    "no-form-record": (
        "info",
        "調査票の記録（シート『_meta』）がないため、ファイル名から所管課「{name}」の提出とみなしました。",
    ),
    "form-version": (
        "warning",
        "調査票の様式「{value}」は想定（{expected}）と異なります。見出し名で読み取りました。最新の調査票を使ってください。",
    ),
    "wrong-fiscal-year": (
        "error",
        "この調査票は{made}用です（{expected}の提出として置かれています）。{expected}の調査票に記入し直してください。",
    ),
    "wrong-department": (
        "error",
        "ファイル名は「{name}」ですが、調査票は所管課「{made}」用です。自課の調査票に記入し直すか、ファイルを確認してください。",
    ),
    "master-changed": (
        "error",
        "調査票の作成後にマスターの取組・KPIが変わっています（{changes}）。最新のマスターで作り直した調査票に記入し直してください。",
    ),
    "past-department": (
        "warning",
        "{fy}の調査票の所管課「{value}」は今のマスターにありません（組織改正で名前が変わった場合など）。過去の年度なので、調査票の取組・KPIをそのまま読みました。",
    ),
    "past-master-changed": (
        "warning",
        "{fy}の調査票は当時のマスターから作られています（その後の変更: {changes}）。過去の年度なので、調査票にある取組・KPIをそのまま読みました。",
    ),
    "older-master": (
        "warning",
        "調査票は以前のマスターから作られています（この課の取組・KPIは同じ）。記入内容はそのまま読みました。",
    ),
    "missing-sheet": (
        "error",
        "シート『{sheet}』がありません（あるシート: {found}）。シート名を『{sheet}』に戻すか、調査票に記入し直してください。",
    ),
    "missing-column": (
        "error",
        "シート『{sheet}』に列「{column}」がありません。見出しを「{column}」に戻すか、調査票に記入し直してください。",
    ),
    "missing-id": (
        "error",
        "{cell}: {column}が空の行に入力があります。{column}を消さず、調査票の行に記入してください。",
    ),
    "duplicate-id": (
        "error",
        "{cell}: {column}「{value}」が2回あります（{other}と重複）。どちらが正しいかは推測しません。1行にまとめてください。",
    ),
    "unknown-id": (
        "error",
        "{cell}: {column}「{value}」はマスターにありません。行の追加やIDの変更をせず、調査票の行に記入してください。",
    ),
    "not-owned": (
        "error",
        "{cell}: {column}「{value}」は「{name}」の担当ではありません（所管: {owners}）。この行を削除してください。",
    ),
    "missing-measure": (
        "error",
        "取組「{item_id}」（{title}）の行がありません。行を削除せず、調査票の行に記入してください。",
    ),
    "missing-kpi": (
        "error",
        "KPI「{item_id}」（{title}）の行がありません。行を削除せず、調査票の行に記入してください。",
    ),
    "status-missing": ("error", "{cell}: 進捗状況が空です。▼から {allowed} のいずれかを選んでください。"),
    "status-not-in-scale": (
        "error",
        "{cell}: 進捗状況「{value}」は選択肢にありません。{allowed} から選んでください。",
    ),
    "notes-missing": (
        "warning",
        "{cell}: 実施状況が空です。実績がない場合は「実績なし」と書き、理由や今後の予定を続けてください。",
    ),
    "notes-too-long": (
        "error",
        "{cell}: {column}が {length} 文字あり、上限 {limit} 文字を超えています（切り捨てていません）。"
        "要点を1行に1項目でまとめ、{limit} 文字以内にしてください。",
    ),
    "actual-not-reported": (
        "warning",
        "{cell}: 実績値が{how}のため、未報告として扱います。集計できていれば数値だけを入力してください。",
    ),
    "actual-not-a-number": (
        "error",
        "{cell}: 実績値「{value}」を数値として読めません。単位（{unit}）や「約」を付けず、45 や 73.2 のように"
        "数値だけを入力してください。未集計の場合は空欄にし、備考に理由を書いてください。",
    ),
    "formula-without-value": (
        "error",
        "{cell}: 数式「{value}」の計算結果が保存されていません。数式ではなく値を入力するか、Excel で開いて保存し直してください。",
    ),
    "excel-error-value": (
        "error",
        "{cell}: Excel のエラー値「{value}」が入っています。数式を直すか、値を入力してください。",
    ),
    "master-text-edited": (
        "warning",
        "{cell}: マスターの{column}が書き換えられています。マスターの内容を使います（マスター: 「{old}」／調査票: 「{value}」）。"
        "変更が必要なら企画課に連絡してください。",
    ),
    "text-cleaned": (
        "warning",
        "{cell}: 制御文字・ゼロ幅文字・改行しない空白を取り除いて読みました。内容を確認してください。",
    ),
    "merged-cells": (
        "error",
        "{cell}: 入力欄のセルが結合されています（{value}）。値がずれないよう結合は読み替えません。結合を解除し、各セルに入力してください。",
    ),
    "hidden-row": (
        "warning",
        "{cell}: {row}行目が非表示ですが入力があります（読み取りました）。再表示して内容を確認してください。",
    ),
    "hidden-column": (
        "warning",
        "{cell}: 入力列「{column}」が非表示です（読み取りました）。再表示して内容を確認してください。",
    ),
    "hidden-sheet": (
        "warning",
        "非表示のシート『{sheet}』があります。中身は読み取っていません。不要なら削除してください。",
    ),
    "data-outside-table": (
        "warning",
        "{cell}: 表の外（見出しのない列）に入力「{value}」があります。この値は読み取っていません。実施状況や備考に書いてください。",
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
