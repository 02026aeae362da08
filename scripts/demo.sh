#!/usr/bin/env bash
# The demo: set everything up, then run the whole pipeline on the bundled sample plan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/kpi-report demo --out outputs/demo
