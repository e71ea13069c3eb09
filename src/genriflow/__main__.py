"""``python -m genriflow`` and the ``genriflow`` command.

:func:`main` imports the command line itself, so that a Ctrl-C while it loads (a few
tenths of a second) is answered as one during a command is (:mod:`genriflow.cli.common`):
one ``interrupted`` line and exit status 130, never a traceback.
"""

import signal
import sys


def main() -> None:
    """Run the ``genriflow`` command line on ``sys.argv``."""
    try:
        from genriflow.cli import app

        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)  # EXIT_INTERRUPTED of genriflow.cli.common, not imported yet here
    finally:  # the command is over: a Ctrl-C now would only kill the exit's clean-up
        signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":
    main()
