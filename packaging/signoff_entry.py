"""Entry point of the bundled application (PyInstaller runs this file as ``__main__``).

It only hands over to the same ``signoff.cli.main`` the pip-installed console script calls, so
the bundle and pip behave alike (``--version``, ``--self-test``, subcommands, the window).
"""

import multiprocessing
import sys

from signoff.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen child started by multiprocessing runs its task
    sys.exit(main())
