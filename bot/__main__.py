"""`python -m bot` ends in the same place as the `hoerclub` console script."""

from bot.cli import main

raise SystemExit(main())
