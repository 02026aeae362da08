#!/usr/bin/env bash
# The test command: set everything up (dev tools, poppler, chromium), then lint, types and the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
echo "== ruff"; .venv/bin/ruff check kpi_report tests tools benchmarks
.venv/bin/ruff format --check kpi_report tests tools benchmarks
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; exec .venv/bin/pytest -q "$@"
