"""What the archive's helper processes share: dying with the process that started them, a
heap that gives large arrays back, and work done in a forked child."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
import time

PR_SET_PDEATHSIG = 1
# glibc's mallopt parameter, and the size from which an allocation gets pages of its own
M_MMAP_THRESHOLD = -3
LARGE_ALLOCATION_BYTES = 128 << 10
# glibc's mallopt parameter for the number of heaps (arenas) its threads share, how many a
# searching process keeps, and how often it gives their free pages back
M_ARENA_MAX = -8
HEAP_ARENAS = 2
TRIM_SECONDS = 15.0


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux), so a killed server or
    import never leaves a helper behind; a parent gone before the request took effect (this
    process then has another parent) ends it here."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)


def return_large_allocations() -> None:
    """Have glibc give every allocation of 128 KiB or more pages of its own (mmap), returned
    to the system when freed.

    By default glibc raises that threshold to the size of the largest block freed so far (up
    to 32 MiB), after which a search process's per-generation arrays (a names facet's pairs
    are 9 MB each at 100k, built again for every index generation, every round under writes)
    came from its heap, whose holes are seldom given back: at 100k under the load test each
    search process grew to ~400-550 MB. A fixed threshold keeps them out of the heap. 128 KiB
    (glibc's own starting value), not 1 MiB: a 100k search's masks and scores (100-800 KB,
    several a query) came from the heaps too, between longer-lived blocks, and a server under
    the load test held 170-190 MB of heap with 110 in use after ten minutes; with 128 KiB, ~95
    with ~65 in use, and its resident size ~60 MB less."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, LARGE_ALLOCATION_BYTES)


def trim_heap_now_and_then(every: float = TRIM_SECONDS) -> None:
    """For a process whose threads search: glibc's heaps kept few, and their free pages given
    back every `every` seconds (by a daemon thread).

    Searches allocate their sub-MiB arrays (a 100k archive's masks and scores) in the heap of
    the thread that runs them, and glibc gives each busy thread a heap of its own (up to 16 on
    two cores): at 100k under the load test a server searching itself held ~300 MB of heap of
    which only 100-140 MB was in use, and grew to 520 MB anonymous in five minutes. With two
    heaps and their free pages given back every 15 s (each time 4-60 ms), 365 MB."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, HEAP_ARENAS)

    def trim() -> None:
        while True:
            time.sleep(every)
            give_back_free_memory()

    threading.Thread(target=trim, name="heap trim", daemon=True).start()


def give_back_free_memory() -> None:
    """Have glibc return the free pages inside its heap to the system (malloc_trim): what a
    long-lived process freed in small pieces is otherwise kept, and the process only grows."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
