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
        _hold_closed_descriptors()
        from genriflow.cli import app

        app()
    except KeyboardInterrupt:
        if sys.stderr is not None:  # 2>&-: nowhere to say it
            sys.stderr.write("interrupted\n")
        sys.exit(130)  # EXIT_INTERRUPTED of genriflow.cli.common, not imported yet here
    finally:  # the command is over: a Ctrl-C now would only kill the exit's clean-up
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _hold_closed_descriptors() -> None:
    """Put /dev/null on a standard descriptor that was closed (``2>&-``), as coreutils
    do: else the next file opened takes its number (the library index, a store part) and
    whatever a C library writes to "stderr" (a decoder's warning) lands inside that file.
    Python's own ``sys.stdout`` or ``sys.stderr`` stays None: a closed stdout is refused
    by the command line (its results would be lost), a closed stderr's messages dropped."""
    import os

    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:  # the lowest free number: fd itself, unless a lower one is free too
                os.dup2(null, fd)
                os.close(null)


if __name__ == "__main__":
    main()
