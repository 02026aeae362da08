#!/usr/bin/env bash
# Set up everything on a fresh machine: system libraries (apt), a virtual environment, the package.
# Idempotent: a second run only checks. Usage: scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# WeasyPrint needs Pango; the tests read PDFs with poppler and open pages in Chromium (Playwright drives this
# system Chromium for the axe-core accessibility test: no `playwright install`, no browser download).
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || need_apt+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b)
if [[ "${1:-}" == "--dev" ]]; then
  command -v pdffonts >/dev/null || need_apt+=(poppler-utils)
  command -v chromium >/dev/null || need_apt+=(chromium)
  # The Open XML SDK test (tests/openxml.py) runs the .NET runtime shipped in a dev wheel: it needs only the C++
  # runtime library; it runs with invariant globalization, so no libicu.
  ldconfig -p 2>/dev/null | grep -q 'libstdc++\.so\.6 ' || need_apt+=(libstdc++6)
fi
if ((${#need_apt[@]})); then
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "setup: installing system packages: ${need_apt[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: please install these system packages: ${need_apt[*]}" >&2
  fi
fi

PY=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
extra=""
[[ "${1:-}" == "--dev" ]] && extra="[dev]"
stamp=".venv/.installed$extra"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
  echo "setup: installing Python packages into .venv (log: .venv/pip.log)"
  if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
    .venv/bin/python -m pip install --disable-pip-version-check -e ".$extra"; } >.venv/pip.log 2>&1; then
    tail -n 30 .venv/pip.log >&2
    echo "setup: pip install failed; the whole log is .venv/pip.log" >&2
    exit 1
  fi
  check="import kpi_report, weasyprint, openpyxl, xlsxwriter, pandas"
  [[ -n "$extra" ]] && check+=", pytest, python_redlines_docxodus, clr_loader, pythonnet, frictionless, playwright, axe_playwright_python, pikepdf"
  .venv/bin/python -c "$check" && touch "$stamp"
fi

# The tool's own byte code, as an installed package has it (pip compiles what it installs; this editable install
# runs kpi_report from its sources): where PYTHONDONTWRITEBYTECODE is set, as containers often set it, Python would
# compile the tool's ~60 modules again at every command (~0.3 s of a build on a 2-core machine). compileall
# writes only what is missing or older than its source; a module edited later is compiled in memory until the
# next setup, as before.
.venv/bin/python -m compileall -q kpi_report
