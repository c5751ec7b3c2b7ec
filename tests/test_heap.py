"""archive.processes: large arrays freed go back to the system (return_large_allocations), a
searching process's heaps give their free pages back (trim_heap_now_and_then).

Each case runs in a fresh interpreter, so that glibc's heap starts as a search process's does.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# A freed 16 MiB block raises glibc's dynamic threshold to 16 MiB; an 8 MiB block then comes
# from the heap, and a small block allocated after it keeps the heap from shrinking past it.
PROGRAM = textwrap.dedent(
    """
    import sys
    from archive.processes import return_large_allocations

    def anon():
        for line in open("/proc/self/status"):
            if line.startswith("RssAnon"):
                return int(line.split()[1]) * 1024

    if sys.argv[1] == "fixed":
        return_large_allocations()
    big = bytearray(16 << 20)
    del big
    block = bytearray(int(sys.argv[2]))
    pin = bytearray(64 << 10)
    before = anon()
    del block
    print(before - anon())
    """
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc")


def given_back(mode: str, size: int = 8 << 20) -> int:
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode, str(size)], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_a_large_block_freed_is_given_back() -> None:
    assert given_back("fixed") >= 8 << 20


def test_a_search_array_freed_is_given_back() -> None:
    # 400 KB: a 100k archive's int32 numbers, one of the masks and scores a search makes and
    # drops (with a threshold of 1 MiB they came from the heap, and stayed in it)
    assert given_back("fixed", 400_000) >= 380_000


def test_without_it_glibc_keeps_the_block() -> None:
    # the case the function exists for: shows that the test above measures something
    assert given_back("default") < 1 << 20


def _anon() -> int:
    for line in open("/proc/self/status"):  # noqa: SIM115, PTH123 - one read of a proc file
        if line.startswith("RssAnon"):
            return int(line.split()[1]) * 1024
    return 0


# Blocks under the mmap threshold freed between small ones that stay: their pages stay in the
# heap until something gives them back (glibc's free only trims the heap's top).
TRIMMED = textwrap.dedent(
    """
    import sys, threading, time
    from archive.processes import return_large_allocations, trim_heap_now_and_then

    def anon():
        for line in open("/proc/self/status"):
            if line.startswith("RssAnon"):
                return int(line.split()[1]) * 1024

    return_large_allocations()
    if sys.argv[1] == "trim":
        trim_heap_now_and_then(0.5)  # after the work below (~0.1 s) is done

    def work(out):
        blocks, pins = [], []
        for _ in range(400):
            blocks.append(bytearray(100 << 10))
            pins.append(bytearray(2048))
        out.append(pins)
        del blocks

    kept = []
    start = anon()
    threads = [threading.Thread(target=work, args=(kept,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(1.5)
    print(anon() - start)  # what the process still holds of the 120 MB
    """
)


def kept_after(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", TRIMMED, mode], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_a_searching_process_gives_its_heaps_free_pages_back() -> None:
    # three threads freed 3 x 40 MB of 100 KB blocks, each held in place by a small one
    assert kept_after("trim") < 30 << 20


def test_without_trimming_the_free_pages_stay() -> None:
    assert kept_after("default") > 100 << 20
