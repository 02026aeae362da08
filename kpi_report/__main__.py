from kpi_report.cli import main

raise SystemExit(main())
