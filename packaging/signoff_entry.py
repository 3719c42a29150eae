"""Entry point of the bundled application (PyInstaller runs this file as ``__main__``).

It hands over to the same ``signoff.cli.main`` the pip-installed console script calls, so the
bundle and pip behave alike (``--version``, ``--self-test``, subcommands, the window).

One exception, checked before anything else is imported: ``signoff --run-child SCRIPT …`` is
how the runner starts a model's scoring process inside the bundle, where ``sys.executable`` is
this executable and not a Python interpreter (see ``signoff.core.common.child``). That child
runs the script in the bundled Python and packages, and never loads Qt or the application.
"""

import sys

from signoff.core.common.child import CHILD_FLAG, run_child

if __name__ == "__main__":
    if sys.argv[1:2] == [CHILD_FLAG]:
        sys.exit(run_child(sys.argv[2:]))

    import multiprocessing

    multiprocessing.freeze_support()  # a frozen child started by multiprocessing runs its task

    from signoff.cli import main

    sys.exit(main())
