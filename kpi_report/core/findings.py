"""The finding catalogue: every code the tool gives, with its severity, stage, message and how to fix it.

This is the one source: :func:`make_finding` takes its messages from here, the per-stage code lists come from
:func:`codes_of`, and the findings reference ``docs/findings.md`` is generated from it (``python -m tools.gen_docs``).
A new code is one entry here plus its name in :data:`Code`; a typo in a code is a type error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from kpi_report.core.model import Finding, Severity

__all__ = ["CATALOGUE", "STAGES", "Code", "FindingKind", "Stage", "codes_of", "make_finding"]

Stage = Literal["plan", "intake", "check", "committee", "merge", "diff"]

# The stages in pipeline order, each with a heading for the findings reference (which commands meet it).
STAGES: dict[Stage, str] = {
    "plan": "マスターの読み込み（plan・forms・check・build）",
    "intake": "提出ファイルの受け付けと安全確認（check・build、forms の前年度分）",
    "check": "提出された記入様式の検証（check・build、forms の前年度分）",
    "committee": "外部評価の委員の記入様式と市の対応の検証（check・committee・build）",
    "merge": "一覧表へのまとめ（build）",
    "diff": "2つの一覧表の比較（diff）",
}

Code = Literal[
    # plan
    "master-missing-sheet",
    "master-missing-column",
    "master-missing-value",
    "master-duplicate-id",
    "master-unknown-direction",
    "master-not-a-number",
    "master-approximate-number",
    "master-bad-fiscal-year",
    "master-unknown-category",
    "master-kpi-unknown-goal",
    "master-kpi-unknown-area",
    "master-bad-setting",
    "master-setting-conflict",
    "master-code-as-number",
    "master-no-measures",
    "master-text-cleaned",
    "master-area-unknown",
    "master-area-repeated",
    "master-unknown-method",
    "master-department-variants",
    # intake
    "skipped-file",
    "empty-file",
    "unreadable-file",
    "file-too-large",
    "legacy-format",
    "encrypted-workbook",
    "macro-workbook",
    "wrong-extension",
    "archive-too-many-parts",
    "archive-too-large",
    "archive-ratio",
    "xml-doctype",
    "sheet-too-large",
    "external-link",
    "data-connection",
    "dde-link",
    "outside-inputs",
    # check
    "missing-submission",
    "duplicate-submission",
    "unknown-department",
    "no-form-record",
    "form-version",
    "wrong-fiscal-year",
    "wrong-department",
    "master-changed",
    "past-department",
    "past-master-changed",
    "older-master",
    "missing-sheet",
    "missing-column",
    "missing-id",
    "duplicate-id",
    "unknown-id",
    "not-owned",
    "missing-measure",
    "missing-kpi",
    "status-missing",
    "status-not-in-scale",
    "notes-missing",
    "notes-too-long",
    "actual-not-reported",
    "actual-not-a-number",
    "actual-out-of-range",
    "actual-is-a-date",
    "direction-missing",
    "direction-not-in-scale",
    "budget-missing",
    "budget-not-a-number",
    "budget-negative",
    "reason-missing",
    "reason-not-in-scale",
    "reason-with-actual",
    "missing-area",
    "area-factors-missing",
    "area-response-missing",
    "formula-without-value",
    "excel-error-value",
    "master-text-edited",
    "text-cleaned",
    "merged-cells",
    "hidden-row",
    "hidden-column",
    "hidden-sheet",
    "data-outside-table",
    "more-findings",
    "no-feedback-copy",
    # merge
    "status-conflict",
    # committee
    "committee-no-members",
    "committee-not-a-form",
    "committee-wrong-fiscal-year",
    "committee-unknown-member",
    "committee-duplicate",
    "committee-missing-sheet",
    "committee-missing-column",
    "committee-rating-not-in-scale",
    "committee-unknown-area",
    "committee-opinion-without-rating",
    "committee-missing-member",
    "committee-response-unknown",
    "committee-response-missing",
    "font-missing-glyph",
    # diff
    "diff-years-reversed",
    "diff-matched-by-name",
    "diff-duplicate-key",
    "diff-no-kpi-sheet",
]


@dataclass(frozen=True, slots=True)
class FindingKind:
    """One finding code: how serious, where it arises, the message shown, and what it means for the user.

    ``template`` is filled with str.format: ``{sheet}``, ``{value}``, ``{item_id}`` and the fields the caller
    passes to :func:`make_finding`. A message does not name the cell it is about: every output shows the
    finding's file, sheet and cell once, beside it (the console line, the findings list, the cell's comment).
    """

    severity: Severity
    stage: Stage
    template: str
    meaning: str  # what happened, in one line (findings reference)
    fix: str  # what the user does about it (findings reference)


CATALOGUE: dict[Code, FindingKind] = {
    # plan: the master (inputs/master.xlsx)
    "master-missing-sheet": FindingKind(
        "error",
        "plan",
        "シート『{sheet}』がありません。シート名を『{sheet}』にしてください。",
        meaning="マスターにシート『取組』がない（名前が違う、または削除された）。",
        fix="シート名を『取組』に戻す。",
    ),
    "master-missing-column": FindingKind(
        "error",
        "plan",
        "必須列「{column}」がありません。1行目の見出しに「{column}」を追加してください。",
        meaning="マスターのシートに必須列の見出しがない（見出しの変更・列の削除）。",
        fix="1行目に見出しを、kpi-report init で作るマスターと同じ表記で追加する。",
    ),
    "master-missing-value": FindingKind(
        "error",
        "plan",
        "「{column}」が空です。値を入力してください。",
        meaning="必須列（取組ID・名称・所管課など）が空の行がある。",
        fix="値を入力する。",
    ),
    "master-duplicate-id": FindingKind(
        "error",
        "plan",
        "{column}「{value}」が重複しています（{other}と同じ）。一意のIDにしてください。",
        meaning="同じ取組ID・KPI_IDが2回ある（両方の場所を示す）。",
        fix="どちらかのIDを変え、一意にする。",
    ),
    "master-unknown-direction": FindingKind(
        "error",
        "plan",
        "方向「{value}」は使えません。増加・減少・維持 のいずれかにしてください。",
        meaning="KPIの方向が 増加・減少・維持 のどれでもない。",
        fix="増加・減少・維持 のいずれかにする。",
    ),
    "master-not-a-number": FindingKind(
        "error",
        "plan",
        "{column}「{value}」を数値として読めません。「45人」「73.2%」「－」のように入力してください。",
        meaning="KPIの基準値・目標値を数値として読めない。",
        fix="「45人」「73.2%」のように数値（単位は付けてよい）で、値がなければ「－」と入力する。",
    ),
    "master-approximate-number": FindingKind(
        "error",
        "plan",
        "{column}「{value}」は「約」の付いた概数で、数値として扱えません。"
        "達成率の計算に使う値を「420」のように入力してください（概数であることは出典の列に書けます）。",
        meaning="KPIの基準値・目標値が「約420」「およそ50%」のような概数（数値として推測しない）。",
        fix="「約」「およそ」を除いた数値を入力する。概数である旨は出典の列に書く。",
    ),
    "master-bad-fiscal-year": FindingKind(
        "error",
        "plan",
        "{column}「{value}」を年度として読めません。{help}",
        meaning="KPIの基準年度・目標年度を年度として読めない。",
        fix="2019、R1、令和元年度、H31 のように入力する。",
    ),
    "master-unknown-category": FindingKind(
        "error",
        "plan",
        "区分「{value}」は使えません。継続・新規・拡充・検討 のいずれかにしてください。",
        meaning="取組の区分が 継続・新規・拡充・検討 のどれでもない。",
        fix="継続・新規・拡充・検討 のいずれかにする。",
    ),
    "master-kpi-unknown-goal": FindingKind(
        "error",
        "plan",
        "基本目標「{value}」はシート『取組』にありません。取組シートと同じ表記にしてください。",
        meaning="KPIの基本目標がシート『取組』にない。",
        fix="シート『取組』と同じ表記にする。",
    ),
    "master-kpi-unknown-area": FindingKind(
        "error",
        "plan",
        "施策「{value}」はこの基本目標の取組にありません。取組シートと同じ表記にしてください。",
        meaning="KPIの施策が、その基本目標の取組にない。",
        fix="シート『取組』と同じ表記にする。",
    ),
    "master-bad-setting": FindingKind(
        "error",
        "plan",
        "設定「{key}」の値「{value}」を読めません。{help}",
        meaning="シート『設定』の値（年度・進捗状況の選択肢・和暦・最大文字数・評価の下限など）を読めない。",
        fix="メッセージが示す書き方で入力し直す。",
    ),
    "master-setting-conflict": FindingKind(
        "error",
        "plan",
        "設定「{key}」の値「{value}」は使えません。{help}",
        meaning="設定どうしが合わない（終了年度が開始年度より前、評価の下限が A > B > C でない、"
        "全角・半角や空白の違いだけの進捗状況が2つある）。",
        fix="メッセージが示すセルの値を、メッセージのとおりに直す。",
    ),
    "master-code-as-number": FindingKind(
        "warning",
        "plan",
        "予算事業コード「{value}」が数値として入力されています。先頭の0が消えていないか確認し、書式を「文字列」にして入力し直してください。",
        meaning="予算事業コードが数値のセルにある（先頭の0が消えている恐れ）。",
        fix="セルの書式を「文字列」にして入力し直す。",
    ),
    "master-no-measures": FindingKind(
        "error",
        "plan",
        "シート『取組』に取組が1件もありません。",
        meaning="シート『取組』に取組の行が1件もない。",
        fix="取組を入力する（記入例の行を参考に）。",
    ),
    "master-text-cleaned": FindingKind(
        "warning",
        "plan",
        "制御文字・ゼロ幅文字などを取り除きました。表示を確認してください。",
        meaning="マスターのセルから制御文字・ゼロ幅文字などを取り除いて読んだ。",
        fix="表示を確かめ、マスターのセルも直しておく。",
    ),
    "master-area-unknown": FindingKind(
        "error",
        "plan",
        "{column}「{value}」はシート『取組』にありません。取組シートと同じ表記にしてください。",
        meaning="シート『施策』の基本目標・施策がシート『取組』にない。",
        fix="シート『取組』と同じ表記にする。",
    ),
    "master-area-repeated": FindingKind(
        "error",
        "plan",
        "施策「{value}」はシート『施策』に2回あります（{other}と同じ）。1つの施策は1行にしてください。",
        meaning="シート『施策』に同じ施策が2行ある（主管課がどちらか決まらない）。",
        fix="どちらかの行を削除し、主管課を1つに決める。",
    ),
    "master-unknown-method": FindingKind(
        "error",
        "plan",
        "評価方式「{value}」は使えません。目標比 または 経過按分 にしてください（空欄なら設定の評価方式）。",
        meaning="KPIの評価方式が 目標比・経過按分 のどちらでもない。",
        fix="目標比 か 経過按分 にするか、空欄にして設定の評価方式に従う。",
    ),
    "master-department-variants": FindingKind(
        "error",
        "plan",
        "課名「{value}」は{where}の「{other}」と全角・半角や異体字の違いしかなく、別の課として扱えません。"
        "同じ課なら、マスター全体で同じ表記にそろえてください。",
        meaning="所管課・関連課・主管課の名前が、全角・半角や互換漢字（福 U+FA1B と U+798F など）の違いだけで"
        "2通りに書かれている（2つの課に数えると、片方の記入様式が別の課のものとして拒否される）。",
        fix="マスター全体で同じ表記にそろえる。",
    ),
    # intake: what a returned file is, and whether it is safe to read
    "skipped-file": FindingKind(
        "info",
        "intake",
        "提出ファイルではないため読み飛ばしました（{reason}）。",
        meaning="提出ファイルではない（ロックファイル・OS のファイル・PDF・表計算以外・フォルダー）ので読まなかった。",
        fix="対応は不要。記入様式のつもりなら .xlsx で保存し直して置く。",
    ),
    "empty-file": FindingKind(
        "error",
        "intake",
        "ファイルが空（0 バイト）です。保存か添付に失敗した可能性があります。Excel で開けることを確かめて、もう一度送ってもらってください。",
        meaning="ファイルが 0 バイト（保存か添付の失敗）。",
        fix="もう一度送ってもらう。",
    ),
    "unreadable-file": FindingKind(
        "error",
        "intake",
        "ファイルを読み取れません（{reason}）。ダウンロードが途中で切れたか、壊れている可能性があります。"
        "Excel で開けることを確かめ、.xlsx 形式で保存し直して送ってもらってください。",
        meaning="途中で切れた・壊れたファイル、でたらめなバイト列、またはブックではない zip・OLE ファイル。",
        fix="Excel で開けることを確かめ、.xlsx で保存し直して送ってもらう。",
    ),
    "file-too-large": FindingKind(
        "error",
        "intake",
        "ファイルが {size} あり、上限 {limit} を超えるため読み取りません。記入様式に記入し直して送ってもらってください。",
        meaning="送られたファイルが上限（64 MB）を超えるので読まなかった。",
        fix="記入様式に記入し直して送ってもらう。",
    ),
    "legacy-format": FindingKind(
        "error",
        "intake",
        "中身が {value} のファイルです（拡張子ではなく中身で判定）。このままでは読み取れません。"
        "Excel で開き、「名前を付けて保存」で「Excel ブック (*.xlsx)」を選んで保存し直して送ってください。",
        meaning="中身が .xls（Excel 97-2003）・.ods・.xlsb・CSV（ファイル名ではなく中身で判定）。",
        fix="「名前を付けて保存」で「Excel ブック (*.xlsx)」を選んで保存し直す。",
    ),
    "encrypted-workbook": FindingKind(
        "error",
        "intake",
        "パスワードで保護（暗号化）されたブックのため読み取れません。"
        "「ファイル → 情報 → ブックの保護 → パスワードを使用して暗号化」でパスワードを消して保存し、もう一度送ってください。",
        meaning="パスワードで暗号化されたブック。",
        fix="パスワードを消して保存し、もう一度送ってもらう。",
    ),
    "macro-workbook": FindingKind(
        "warning",
        "intake",
        "マクロ付きブックです。マクロは実行せず、セルに保存された値だけを読みました。"
        "「Excel ブック (*.xlsx)」形式で保存し直して送ってください。",
        meaning="マクロ付きブック（.xlsm）。セルの値だけを読み、マクロは実行しない。",
        fix="「Excel ブック (*.xlsx)」で保存し直す。",
    ),
    "wrong-extension": FindingKind(
        "warning",
        "intake",
        "中身は Excel ブック（.xlsx）ですが、拡張子が「{value}」です。ファイル名の拡張子を .xlsx に直してください。",
        meaning="中身は .xlsx のブックだが拡張子が違う（読み取った）。",
        fix="ファイル名の拡張子を .xlsx に直す。",
    ),
    "archive-too-many-parts": FindingKind(
        "error",
        "intake",
        "ファイル内の部品が {count} 個あり、上限 {limit} 個を超えるため、安全のため読み取りません。"
        "記入様式に記入し直して送ってもらってください。",
        meaning="ブック（zip）の部品が上限（1,000 個）を超えるので読まなかった。",
        fix="記入様式に記入し直して送ってもらう。",
    ),
    "archive-too-large": FindingKind(
        "error",
        "intake",
        "展開後の大きさが {size} あり、上限 {limit} を超えるため、安全のため展開しません（圧縮爆弾の疑い）。"
        "記入様式に記入し直して送ってもらってください。",
        meaning="展開後の大きさが上限（64 MB）を超える（圧縮爆弾の疑い）ので展開しなかった。",
        fix="記入様式に記入し直して送ってもらう。",
    ),
    "archive-ratio": FindingKind(
        "error",
        "intake",
        "部品「{value}」の圧縮率が {ratio} 倍で上限 {limit} 倍を超えるため、安全のため展開しません（圧縮爆弾の疑い）。"
        "記入様式に記入し直して送ってもらってください。",
        meaning="1 MB を超える部品の圧縮率が上限（200 倍）を超える（圧縮爆弾の疑い）ので展開しなかった。",
        fix="記入様式に記入し直して送ってもらう。",
    ),
    "xml-doctype": FindingKind(
        "error",
        "intake",
        "部品「{value}」に DTD・エンティティ宣言があります。Excel が保存するブックには含まれないもので、"
        "安全のため読み取りません（エンティティ展開・外部ファイル参照の疑い）。記入様式に記入し直して送ってもらってください。",
        meaning="部品に DTD・エンティティ宣言がある（エンティティ展開・外部ファイル参照の疑い）ので読まなかった。",
        fix="記入様式に記入し直して送ってもらう。",
    ),
    "sheet-too-large": FindingKind(
        "error",
        "intake",
        "シート『{sheet}』のセル・行・列・結合の数が {limit} 個を超えるため、安全のため読み取りを中止しました。"
        "不要な行・列・結合を削除して保存し直してください。",
        meaning="シートのセル・行・列・結合の数が上限（200,000 個）を超えたので読み取りを中止した。",
        fix="不要な行・列を削除して保存し直す。",
    ),
    "external-link": FindingKind(
        "warning",
        "intake",
        "外部ブックへのリンク（{value}）があります。リンク先は開かず、更新もしていません（保存された値を使用）。"
        "「データ → リンクの編集 → リンクの解除」でリンクを解除してください。",
        meaning="他のブックへのリンクがある。リンク先は開かず、保存された値を使った。",
        fix="「データ → リンクの編集 → リンクの解除」でリンクを解除する。",
    ),
    "data-connection": FindingKind(
        "warning",
        "intake",
        "外部データ接続（{value}）があります。接続は実行していません。「データ → クエリと接続」から接続を削除してください。",
        meaning="外部データ接続がある（実行しない）。",
        fix="「データ → クエリと接続」から接続を削除する。",
    ),
    "dde-link": FindingKind(
        "warning",
        "intake",
        "DDE リンク（{value}）があります。実行も更新もしていません。リンクを削除して保存し直してください。",
        meaning="DDE リンクがある（実行しない）。",
        fix="リンクを削除して保存し直す。",
    ),
    "outside-inputs": FindingKind(
        "error",
        "intake",
        "このファイルは inputs フォルダーの外（{reason}）を指すリンクなので読み取りません。"
        "提出されたブックそのものを inputs/<年度>/ に保存してください。",
        meaning="inputs の外のファイルを指すシンボリックリンク（外のファイルを読んで送り返すことはしない）。",
        fix="リンクではなく、提出されたブックそのものを inputs/<年度>/ に置く。",
    ),
    # check: the returned department workbooks
    "missing-submission": FindingKind(
        "error",
        "check",
        "所管課「{name}」の提出がありません。記入様式（outputs/{fy}/forms/）を送り、記入して返送するよう依頼してください。",
        meaning="取組かKPIを所管する課から提出がない。",
        fix="記入様式を送り、記入して返送するよう依頼する。",
    ),
    "duplicate-submission": FindingKind(
        "error",
        "check",
        "所管課「{name}」のブックが複数あります（{others}）。どれを採用するかは推測しません。"
        "正しいもの1つだけを inputs に残してください。",
        meaning="1つの課のブックが2つ以上ある（どれも使わない）。",
        fix="正しいもの1つだけを inputs に残す。",
    ),
    "unknown-department": FindingKind(
        "error",
        "check",
        "所管課を特定できません（{reason}）。配布された記入様式に記入するか、"
        "ファイル名を所管課名（例: 総務課.xlsx）にしてください。",
        meaning="記入様式の所管課がマスターにない、または記入様式の記録のないブックのファイル名が課名ではない。",
        fix="kpi-report forms で作った記入様式に記入するか、ファイル名を所管課名（例: 総務課.xlsx）にする。",
    ),
    "no-form-record": FindingKind(
        "info",
        "check",
        "記入様式の記録（シート『_meta』）がないため、ファイル名から所管課「{name}」の提出とみなしました。",
        meaning="記入様式の記録（非表示のシート『_meta』）がないので、ファイル名の課の提出とみなした。",
        fix="対応は不要。次からは kpi-report forms で作った記入様式を使う。",
    ),
    "form-version": FindingKind(
        "warning",
        "check",
        "記入様式の様式「{value}」は想定（{expected}）と異なります。見出し名で読み取りました。最新の記入様式を使ってください。",
        meaning="記入様式の記録にある様式の版が違う（見出し名で読み取った）。",
        fix="最新の記入様式を使う。",
    ),
    "wrong-fiscal-year": FindingKind(
        "error",
        "check",
        "この記入様式は{made}用です（{expected}の提出として置かれています）。{expected}の記入様式に記入し直してください。",
        meaning="別の年度用に作った記入様式（使わない）。",
        fix="その年度の記入様式に記入し直す。",
    ),
    "wrong-department": FindingKind(
        "error",
        "check",
        "ファイル名は「{name}」ですが、記入様式は所管課「{made}」用です。自課の記入様式に記入し直すか、ファイルを確認してください。",
        meaning="ファイル名の課と、記入様式を作った課が違う（使わない）。",
        fix="自課の記入様式に記入し直すか、ファイルを確かめる。",
    ),
    "master-changed": FindingKind(
        "error",
        "check",
        "記入様式の作成後にマスターの取組・KPIが変わっています（{changes}）。最新のマスターで作り直した記入様式に記入し直してください。",
        meaning="記入様式を作った後に、その課の取組・KPIがマスターで変わった（追加・削除されたIDを示す）。",
        fix="最新のマスターで作り直した記入様式に記入し直す。",
    ),
    "past-department": FindingKind(
        "warning",
        "check",
        "{fy}の記入様式の所管課「{value}」は今のマスターにありません（組織改正で名前が変わった場合など）。過去の年度なので、記入様式の取組・KPIをそのまま読みました。",
        meaning="過去の年度の記入様式の課が今のマスターにない（組織改正など）。その年度の記録として読み、"
        "今その取組を所管する課は未提出とみなさない。",
        fix="対応は不要。課名の変更でなければ、ファイルを確かめる。",
    ),
    "past-master-changed": FindingKind(
        "warning",
        "check",
        "{fy}の記入様式は当時のマスターから作られています（その後の変更: {changes}）。過去の年度なので、記入様式にある取組・KPIをそのまま読みました。",
        meaning="過去の年度の記入様式（build の履歴、forms の前年度分）が当時のマスターから作られている。"
        "その後に追加・削除・移管された取組・KPIを示し、そのまま読んだ。",
        fix="対応は不要。",
    ),
    "older-master": FindingKind(
        "info",
        "check",
        "記入様式の作成後に、マスターでこの課の取組・KPIの表示内容が変わりました（{changes}）。"
        "記入内容はそのまま読み、一覧表にはマスターの内容を載せます（取りまとめる課向けの記録。所管課への返送には載せません）。",
        meaning="記入様式を作った後に、その課の行の名称・内容などをマスターで直した（取組・KPIのIDは同じ）。"
        "所管課が直すことはないので、返送する検証結果には載せない。他の課の行や設定だけの変更、保存し直しでは出ない。",
        fix="対応は不要。変わった内容を所管課に確かめてもらうなら、作り直した記入様式を送る。",
    ),
    "missing-sheet": FindingKind(
        "error",
        "check",
        "シート『{sheet}』がありません（あるシート: {found}）。シート名を『{sheet}』に戻すか、記入様式に記入し直してください。",
        meaning="シート『進捗』か『KPI』（効果検証で施策の主管課なら『施策評価』も）がない、または名前が変わった（あるシートを示す）。",
        fix="シート名を戻すか、記入様式に記入し直す。",
    ),
    "missing-column": FindingKind(
        "error",
        "check",
        "シート『{sheet}』に列「{column}」がありません。見出しを「{column}」に戻すか、記入様式に記入し直してください。",
        meaning="見出し（取組ID・進捗状況・実施状況・KPI_ID・実績値）が変えられた、または列が削除された。",
        fix="見出しを戻すか、記入様式に記入し直す。",
    ),
    "missing-id": FindingKind(
        "error",
        "check",
        "{column}が空の行に入力があります。{column}を消さず、記入様式の行に記入してください。",
        meaning="取組ID・KPI_IDが空の行に入力がある。",
        fix="IDを消さず、記入様式の行に記入する。",
    ),
    "duplicate-id": FindingKind(
        "error",
        "check",
        "{column}「{value}」が2回あります（{other}と重複）。どちらが正しいかは推測しません。1行にまとめてください。",
        meaning="1つのブックに同じIDが2回ある（両方の場所を示し、どちらの行も使わない）。",
        fix="1行にまとめる。",
    ),
    "unknown-id": FindingKind(
        "error",
        "check",
        "{column}「{value}」はマスターにありません。行の追加やIDの変更をせず、記入様式の行に記入してください。",
        meaning="マスターにないID（行の追加、IDの書き換え、その後に廃止された取組）。",
        fix="行の追加やIDの変更をせず、記入様式の行に記入する。",
    ),
    "not-owned": FindingKind(
        "error",
        "check",
        "{column}「{value}」は「{name}」の担当ではありません（所管: {owners}）。この行を削除してください。",
        meaning="他の課が所管する取組・KPIのIDがある。",
        fix="その行を削除する。",
    ),
    "missing-measure": FindingKind(
        "error",
        "check",
        "取組「{item_id}」（{title}）の行がありません。行を削除せず、記入様式の行に記入してください。",
        meaning="その課の取組の行がない（削除された、またはその後マスターに追加された）。",
        fix="行を削除せず、記入様式の行に記入する。",
    ),
    "missing-kpi": FindingKind(
        "error",
        "check",
        "KPI「{item_id}」（{title}）の行がありません。行を削除せず、記入様式の行に記入してください。",
        meaning="その課のKPIの行がない（削除された、またはその後マスターに追加された）。",
        fix="行を削除せず、記入様式の行に記入する。",
    ),
    "status-missing": FindingKind(
        "error",
        "check",
        "進捗状況が空です。▼から {allowed} のいずれかを選んでください。",
        meaning="進捗状況が空。",
        fix="▼から選ぶ。",
    ),
    "status-not-in-scale": FindingKind(
        "error",
        "check",
        "進捗状況「{value}」は選択肢にありません。{allowed} から選んでください。",
        meaning="進捗状況がマスターの選択肢にない（空白の違いは同じとみなす）。選べる値を示す。",
        fix="選択肢から選び直す。",
    ),
    "notes-missing": FindingKind(
        "warning",
        "check",
        "実施状況が空です。実績がない場合は「実績なし」と書き、理由や今後の予定を続けてください。",
        meaning="実施状況が空。",
        fix="実績がなければ「実績なし」と書き、理由や今後の予定を続ける。",
    ),
    "notes-too-long": FindingKind(
        "error",
        "check",
        "{column}が {length} 文字あり、上限 {limit} 文字を超えています（切り捨てていません）。"
        "要点を1行に1項目でまとめ、{limit} 文字以内にしてください。",
        meaning="実施状況が設定の最大文字数（既定 2,000）か 32,767 文字を、備考が 32,767 文字を超える（切り捨てない）。",
        fix="要点を1行に1項目でまとめ、上限以内にする。",
    ),
    "actual-not-reported": FindingKind(
        "warning",
        "check",
        "実績値が{how}のため、未報告として扱います。集計できていれば数値だけを入力してください。",
        meaning="実績値が空欄か「－」なので、未報告として扱う。",
        fix="集計できていれば数値だけを入力する。",
    ),
    "actual-not-a-number": FindingKind(
        "error",
        "check",
        "実績値「{value}」を数値として読めません。単位（{unit}）や「約」を付けず、45 や 73.2 のように"
        "数値だけを入力してください。未集計の場合は空欄にし、備考に理由を書いてください。",
        meaning="実績値が数値ではない文字（「約50」「集計中」など）。推測して数値にはしない。",
        fix="数値だけを入力する。未集計なら空欄にし、備考に理由を書く。",
    ),
    "actual-out-of-range": FindingKind(
        "error",
        "check",
        "実績値「{value}」は扱える範囲を超えています（絶対値 1,000兆 未満の数値だけを扱います）。"
        "桁や指数（E+）の打ち間違いがないか確かめ、正しい数値を入力してください。",
        meaning="実績値が無限大・非数（NaN）・絶対値 1,000兆（10の15乗）以上。Excel が正確に保てる桁を超え、"
        "一覧表やグラフに出せない。",
        fix="桁や指数の打ち間違いを直し、正しい数値を入力する。",
    ),
    "actual-is-a-date": FindingKind(
        "error",
        "check",
        "実績値が日付（{value}）として入力されています。日付の書式のセルは数値として読みません。"
        "セルの書式を「標準」か「数値」にして、実績値を入力し直してください。",
        meaning="実績値のセルが日付の書式（Excel は日付を 43893 のような通し番号で保存する）。数値として読まない。",
        fix="セルの書式を「標準」か「数値」にして入力し直す。",
    ),
    "direction-missing": FindingKind(
        "error",
        "check",
        "{column}が空です。▼から {allowed} のいずれかを選んでください。",
        meaning="効果検証を使う計画で、取組（シート『進捗』）か施策（シート『施策評価』）の今後の方向性が空。",
        fix="▼から選ぶ。",
    ),
    "direction-not-in-scale": FindingKind(
        "error",
        "check",
        "{column}「{value}」は選択肢にありません。{allowed} から選んでください。",
        meaning="今後の方向性がマスターの設定『今後の方向性』の選択肢にない（空白の違いは同じとみなす）。選べる値を示す。",
        fix="選択肢から選び直す。",
    ),
    "budget-missing": FindingKind(
        "warning",
        "check",
        "{column}が空です。千円単位の整数で入力してください。事業費がない取組は 0 と入力してください。",
        meaning="事業費（設定『事業費』が「記入する」）の予算額・決算額が空（未記入として扱う）。",
        fix="千円単位の整数を入力する。事業費がなければ 0。",
    ),
    "budget-not-a-number": FindingKind(
        "error",
        "check",
        "{column}「{value}」を数値として読めません。「円」「千円」などの単位を付けず、1200 のように"
        "千円単位の数値だけを入力してください。",
        meaning="予算額・決算額が数値ではない（単位付き、「未定」など）。推測して数値にはしない。"
        "桁区切りのカンマや全角数字はそのまま読む。",
        fix="千円単位の数値だけを入力する。",
    ),
    "budget-negative": FindingKind(
        "error",
        "check",
        "{column}「{value}」がマイナスです。千円単位の 0 以上の数値を入力してください。",
        meaning="予算額・決算額が負の数。",
        fix="0 以上の数値を入力する。",
    ),
    "reason-missing": FindingKind(
        "error",
        "check",
        "実績値が{how}で、評価不能の理由もありません。実績値を数値で入力するか、評価できない年なら"
        "「評価不能の理由」を▼から選んでください（{allowed}）。",
        meaning="効果検証を使う計画で、実績値がなく評価不能の理由もない（使わない計画では actual-not-reported の警告）。",
        fix="実績値を入力するか、評価不能の理由を選ぶ。",
    ),
    "reason-not-in-scale": FindingKind(
        "error",
        "check",
        "評価不能の理由「{value}」は選択肢にありません。{allowed} から選んでください。",
        meaning="評価不能の理由がマスターの設定『評価不能の理由』の選択肢にない。選べる値を示す。",
        fix="選択肢から選び直す。",
    ),
    "reason-with-actual": FindingKind(
        "warning",
        "check",
        "実績値があるのに評価不能の理由「{value}」が選ばれています。実績値で評価します。"
        "評価できない年なら実績値を空欄にし、評価するなら理由を消してください。",
        meaning="実績値と評価不能の理由の両方がある。実績値で評価し、理由は使わない。",
        fix="どちらか一方にする。",
    ),
    "missing-area": FindingKind(
        "error",
        "check",
        "施策「{item_id}」（{title}）の行がありません。行を削除せず、記入様式の行に記入してください。",
        meaning="主管課の施策の行がシート『施策評価』にない（削除された、またはその後マスターで主管課になった）。",
        fix="行を削除せず、記入様式の行に記入する。",
    ),
    "area-factors-missing": FindingKind(
        "warning",
        "check",
        "要因分析が空ですが、この施策には評価の低いKPIがあります（{kpis}）。目標に届かなかった理由（外部要因・取組の効果など）を書いてください。",
        meaning="施策のKPIに評価区分の下半分（A〜D なら C・D、◎○△× なら △・×）の評価があるのに、要因分析が空。"
        "評価は同じ年度に提出されたすべての記入様式の実績値から計算する。",
        fix="KPIが目標に届かなかった理由を書く。",
    ),
    "area-response-missing": FindingKind(
        "warning",
        "check",
        "前年度の方針への対応が空です。前年度の方向性「{previous}」を受けて今年度に行ったことを書いてください。",
        meaning="記入様式に前年度の施策の方向性が示されているのに、前年度の方針への対応が空。",
        fix="前年度の方向性と課題を受けて行ったことを書く。",
    ),
    "formula-without-value": FindingKind(
        "error",
        "check",
        "数式「{value}」の計算結果が保存されていません。数式ではなく値を入力するか、Excel で開いて保存し直してください。",
        meaning="計算結果が保存されていない数式（Excel 以外のプログラムで保存されたブック）。",
        fix="値を入力するか、Excel で開いて保存し直す。",
    ),
    "excel-error-value": FindingKind(
        "error",
        "check",
        "Excel のエラー値「{value}」が入っています。数式を直すか、値を入力してください。",
        meaning="セルに #DIV/0!・#REF! などのエラー値がある。",
        fix="数式を直すか、値を入力する。",
    ),
    "master-text-edited": FindingKind(
        "warning",
        "check",
        "マスターの{column}が書き換えられています。マスターの内容を使います（マスター: 「{old}」／記入様式: 「{value}」）。"
        "変更が必要なら記入様式の提出先に連絡してください。",
        meaning="マスターから写した列（名称・内容・指標名）が書き換えられた（新旧を示し、マスターを使う）。",
        fix="変更が必要なら記入様式の提出先に連絡する。",
    ),
    "text-cleaned": FindingKind(
        "warning",
        "check",
        "制御文字・ゼロ幅文字・改行しない空白を取り除いて読みました。内容を確認してください。",
        meaning="制御文字・ゼロ幅文字・改行しない空白を取り除いて読んだ。",
        fix="内容を確かめる。",
    ),
    "merged-cells": FindingKind(
        "error",
        "check",
        "入力欄のセルが結合されています（{value}）。値がずれないよう結合は読み替えません。結合を解除し、各セルに入力してください。",
        meaning="入力欄のセルが結合されている（値を隣のセルにずらして読むことはしない）。",
        fix="結合を解除し、各セルに入力する。",
    ),
    "hidden-row": FindingKind(
        "warning",
        "check",
        "{row}行目が非表示ですが入力があります（読み取りました）。再表示して内容を確認してください。",
        meaning="入力のある行が非表示（読み取った）。",
        fix="再表示して内容を確かめる。",
    ),
    "hidden-column": FindingKind(
        "warning",
        "check",
        "入力列「{column}」が非表示です（読み取りました）。再表示して内容を確認してください。",
        meaning="入力列が非表示（読み取った）。",
        fix="再表示して内容を確かめる。",
    ),
    "hidden-sheet": FindingKind(
        "warning",
        "check",
        "非表示のシート『{sheet}』があります。中身は読み取っていません。不要なら削除してください。",
        meaning="記入様式にない非表示のシートがある（読まない）。",
        fix="不要なら削除する。",
    ),
    "data-outside-table": FindingKind(
        "warning",
        "check",
        "表の外（見出しのない列）に入力「{value}」があります。この値は読み取っていません。実施状況や備考に書いてください。",
        meaning="見出しのない列に値がある（XFD1048576 のような遠いセルも含む。読まない）。",
        fix="実施状況や備考に書く。",
    ),
    "more-findings": FindingKind(
        "error",
        "check",
        "シート『{sheet}』には、ほかに {count} 個のセルで同じ指摘（{of}）があります（{first} から {last} まで）。"
        "上の {shown} 件と同じように直してください。",
        meaning="同じシートで同じ指摘が多すぎるので、最初の 100 件のあとをまとめて1件にした"
        "（重要度はまとめた指摘と同じ。エラーならエラー）。",
        fix="表示された指摘と同じように直す（多くは表の外や結合など、シート全体の問題）。",
    ),
    "no-feedback-copy": FindingKind(
        "info",
        "check",
        "このブックには指摘を書き込んだコピー（feedback）を作りません（{reason}）。findings.xlsx の指摘一覧を送ってください。",
        meaning="結合範囲・行・セルが多すぎる（読み込むと時間とメモリーがかかりすぎる）か、"
        "コピーでシートが失われる形式なので、feedback のコピーを作らなかった。",
        fix="findings.xlsx の指摘を伝え、不要な結合・行・シートを削除して保存し直してもらう。",
    ),
    # merge: the published table
    "status-conflict": FindingKind(
        "warning",
        "check",
        "取組「{item_id}」の進捗状況が所管課の間で異なります（{value}）。一覧表には筆頭所管課の「{shown}」を表示します。"
        "所管課間で調整して同じ進捗状況を記入してください。",
        meaning="複数の課が所管する取組で、課ごとに進捗状況が違う（一覧表には筆頭所管課の値を表示）。",
        fix="所管課の間で調整し、同じ進捗状況を記入する。",
    ),
    # committee: the members' workbooks and the city's responses (inputs/<FY>/committee/)
    "committee-no-members": FindingKind(
        "warning",
        "committee",
        "inputs/{fy}/committee/ に委員の記入様式がありますが、マスターにシート『委員』がないため読みませんでした。"
        "外部評価を載せるには、マスターにシート『委員』（委員ID・氏名・区分）を作ってください。",
        meaning="委員の記入様式のフォルダーがあるが、マスターに委員がいない（読まない）。",
        fix="マスターにシート『委員』を作る。外部評価を使わないならフォルダーを移す。",
    ),
    "committee-not-a-form": FindingKind(
        "error",
        "committee",
        "委員の記入様式ではありません（{reason}）。kpi-report committee で作った記入様式に記入してもらってください。",
        meaning="committee/ に、委員の記入様式の記録（_meta）がないファイルがある（読まない）。",
        fix="kpi-report committee で作った記入様式を使う。対応.xlsx 以外の資料は別のフォルダーに置く。",
    ),
    "committee-wrong-fiscal-year": FindingKind(
        "error",
        "committee",
        "この記入様式は{made}用です（{expected}の外部評価として置かれています）。{expected}の記入様式に記入し直してください。",
        meaning="別の年度用に作った委員の記入様式・対応.xlsx（使わない）。",
        fix="その年度の記入様式（kpi-report committee --fy）に記入し直す。",
    ),
    "committee-unknown-member": FindingKind(
        "error",
        "committee",
        "委員ID「{value}」はマスターのシート『委員』にありません。マスターに委員を加えるか、正しい委員の記入様式を使ってください。",
        meaning="記入様式の委員がマスターの委員にいない（読まない）。",
        fix="マスターのシート『委員』に加えるか、正しい委員の記入様式を使う。",
    ),
    "committee-duplicate": FindingKind(
        "error",
        "committee",
        "委員「{name}」の記入様式が2つ以上あります（ほかに {others}）。どちらの意見か決められないため、どれも使いません。"
        "1つだけ残してください。",
        meaning="同じ委員の記入様式が2つ以上ある（どれも使わない）。",
        fix="最新の1つだけ残す。",
    ),
    "committee-missing-sheet": FindingKind(
        "error",
        "committee",
        "シート『{sheet}』がありません。シート名を『{sheet}』に戻すか、記入様式に記入し直してください。",
        meaning="委員の記入様式・対応.xlsx のシートがない、または名前が変わった。",
        fix="シート名を戻すか、記入様式に記入し直す。",
    ),
    "committee-missing-column": FindingKind(
        "error",
        "committee",
        "見出し「{column}」が見つかりません。見出しを元に戻してください。",
        meaning="委員の記入様式・対応.xlsx の見出しが変わった、または列が消された。",
        fix="見出しを元に戻すか、記入様式に記入し直す。",
    ),
    "committee-rating-not-in-scale": FindingKind(
        "error",
        "committee",
        "評価「{value}」は選択肢（{scale}）にありません。▼から選び直してください。",
        meaning="委員の評価が設定の委員評価にない（数えない）。",
        fix="▼の一覧から選び直す。",
    ),
    "committee-unknown-area": FindingKind(
        "error",
        "committee",
        "施策ID「{value}」の施策はマスターにありません。この行の評価と意見は使いません。施策IDを元に戻してください。",
        meaning="委員の意見が、マスターにない施策に付いている（使わない）。",
        fix="施策IDを元に戻すか、記入様式に記入し直す。",
    ),
    "committee-opinion-without-rating": FindingKind(
        "warning",
        "committee",
        "施策「{item_id}」に意見がありますが評価がありません（意見は載せ、評価は数えません）。評価を選んでください。",
        meaning="意見だけで評価がない（意見は載せる）。",
        fix="委員に評価を選んでもらう。",
    ),
    "committee-missing-member": FindingKind(
        "info",
        "committee",
        "委員「{name}」（{value}）の記入様式がまだありません。",
        meaning="マスターの委員のうち、記入様式がまだ届いていない委員。",
        fix="届いたら inputs/<年度>/committee/ に置く。",
    ),
    "committee-response-unknown": FindingKind(
        "error",
        "committee",
        "委員ID「{member}」・施策ID「{area}」の意見は今年度の意見にありません（{reason}）。"
        "kpi-report committee --responses で作り直した対応.xlsx に記入してください。",
        meaning="対応.xlsx の行が、受け取った委員の意見に当たらない（使わない）。",
        fix="committee --responses で作り直し、市の対応を写す。",
    ),
    "committee-response-missing": FindingKind(
        "warning",
        "committee",
        "委員ID「{member}」・施策ID「{area}」の意見に市の対応がありません。市の対応を記入してください。",
        meaning="意見に対する市の対応が空欄（報告書には対応なしとして載る）。",
        fix="対応.xlsx の市の対応を記入する。",
    ),
    "font-missing-glyph": FindingKind(
        "warning",
        "merge",
        "年次報告書のフォント（{font}）にない文字があり、□ で表示されます: {chars}（{where}）。"
        "常用の字形に置き換えるか、Noto Sans CJK JP をインストールしてください。",
        meaning="実施状況などに、年次報告書に埋め込むフォントにない文字（𠮷 などの JIS X 0213 の字、絵文字）がある。",
        fix="その字を常用の字形（吉 など）に置き換えるか、JIS X 0213 を含むフォント（Noto Sans CJK JP）をインストールする。",
    ),
    # diff: two progress lists
    "diff-years-reversed": FindingKind(
        "warning",
        "diff",
        "比較元（{old}）の報告年度が比較先（{new}）より後です。2つのファイルが逆ではありませんか。"
        "逆のままだと、新しい年度の記述が「過去年度の実施状況の修正」などと表示されます。"
        "kpi-report diff 古い一覧 新しい一覧 の順に指定し直してください。",
        meaning="OLD の報告年度が NEW より後（ファイルを入れ替えて指定した可能性がある）。変更の向きが逆に見える。",
        fix="古い年度の一覧を先に、新しい年度の一覧を後に指定し直す。",
    ),
    "diff-matched-by-name": FindingKind(
        "warning",
        "diff",
        "シート『{sheet}』に取組ID列がないため、基本目標・施策・名称で照合しました。名称を変えた取組は削除と追加として"
        "表示されます。正確に照合するには kpi-report build で作った一覧（取組ID列付き）を使ってください。",
        meaning="一覧に取組ID列がないので、基本目標・施策・名称で照合した（名称を変えた取組は削除と追加になる）。",
        fix="kpi-report build で作った一覧（取組ID列付き）を使う。",
    ),
    "diff-duplicate-key": FindingKind(
        "warning",
        "diff",
        "「{value}」が一覧の中で重複しています。2件目以降は別の行として比較しました。一覧を確認してください。",
        meaning="照合に使うIDか名称が一覧の中で重複している（2件目以降は別の行として比較した）。",
        fix="一覧を確かめる。",
    ),
    "diff-no-kpi-sheet": FindingKind(
        "warning",
        "diff",
        "KPIのシート（「KPI_ID」「指標名」の見出し行）がないため、KPIは比較していません。"
        "KPIも比較するには、KPIシート付きの一覧を指定してください。",
        meaning="一覧にKPIのシートがないので、KPIは比較していない。",
        fix="KPIも比較するなら、KPIシート付きの一覧を指定する。",
    ),
}


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _writable(text: str) -> str:
    """A lone surrogate (no character; UTF-8 cannot hold it) shown as the escape Excel saved it as: _xD83D_."""
    return _LONE_SURROGATE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def codes_of(stage: Stage) -> tuple[Code, ...]:
    """The codes a stage gives, in catalogue order."""
    return tuple(code for code, kind in CATALOGUE.items() if kind.stage == stage)


def make_finding(
    code: Code,
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
    kind = CATALOGUE[code]
    text_value = "" if value is None else _writable(str(value))
    where = f"シート『{sheet}』{cell}" if sheet and cell else cell
    message = _writable(
        kind.template.format(sheet=sheet, cell=where, value=text_value, item_id=item_id, **params)
    )
    return Finding(
        code=code,
        severity=kind.severity,
        message=message,
        file=file,
        sheet=sheet,
        cell=cell,
        item_id=item_id,
        value=text_value,
        department=department,
    )
