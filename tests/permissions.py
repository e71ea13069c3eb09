"""Files a user may not read, for real, when the tests run as root (who reads any file).

``chmod 000`` stops anyone but root; root reads past a file's mode through two
capabilities, CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH. Without them root meets the mode
as anyone does, and opening the file fails with the system's own ``EACCES``. The fixture
``unreadable`` (tests/conftest.py) uses :func:`without_dac_override` for this process;
:func:`drop_dac_override_in_child` is a ``preexec_fn`` for a child process.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator

import pytest


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


#: ``_LINUX_CAPABILITY_VERSION_3``, ``PR_CAPBSET_DROP`` and the two capabilities' numbers.
_CAP_V3, _PR_CAPBSET_DROP, _DAC_CAPS = 0x20080522, 24, (1, 2)


@contextlib.contextmanager
def without_dac_override() -> Iterator[None]:
    """Root's power to read past a file's mode set aside in the calling thread until the
    block ends (the capabilities leave its effective set and stay permitted, so they come
    back). A no-op for another user. Only this thread: the tests that use it do their
    reading here (``n_jobs=1``, the command line in this process)."""
    if os.geteuid() != 0:
        yield
        return
    libc = ctypes.CDLL(None, use_errno=True)
    header, data = _CapHeader(_CAP_V3, 0), (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        pytest.skip(f"running as root and capget failed: {os.strerror(ctypes.get_errno())}")
    effective = data[0].effective
    data[0].effective = effective & ~sum(1 << cap for cap in _DAC_CAPS)
    if libc.capset(ctypes.byref(header), data) != 0:
        pytest.skip(f"running as root and capset failed: {os.strerror(ctypes.get_errno())}")
    try:
        yield
    finally:
        data[0].effective = effective
        libc.capset(ctypes.byref(header), data)


def drop_dac_override_in_child() -> None:
    """A ``preexec_fn``: the child (and what it executes) never has the two capabilities,
    even as root (they leave its bounding set, which ``exec`` takes root's from)."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in _DAC_CAPS:
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
