"""``python -m glassnet`` runs the glassnet command."""

from glassnet.cli.main import main

raise SystemExit(main())
