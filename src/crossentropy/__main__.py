"""``python -m crossentropy``: the same as the ``crossentropy`` command."""

from crossentropy.cli import main

raise SystemExit(main())
