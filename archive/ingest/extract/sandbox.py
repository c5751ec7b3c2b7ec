"""Run an extractor on untrusted bytes in a disposable child process, with time and memory limits.

A parser fed a hostile or broken file may allocate without bound (a decompression bomb), loop
(a reference cycle), recurse until the C stack runs out or crash the interpreter. In a child
process each of those ends in a dead child and a 422 for the upload, never in a server that is
out of memory or wedged.

How: on first use the server starts one helper, `python -c "…serve(fd)"`, which imports the
parsers once and then, single-threaded, forks a child per file (a few ms). The parent talks to
each child over its own socket: the child sends its pid, receives the request, lowers its
rlimits (address space, CPU, no core file), runs the extractor and answers in JSON.
Why not `multiprocessing`: forking the server itself would copy a multi-threaded process (a
child can inherit a lock another thread held) whose large address space would count against
RLIMIT_AS; its "spawn" and "forkserver" methods re-import the caller's main script in every
child, which breaks any script that calls us without an `if __name__ == "__main__"` guard; and
its results are pickles, which a child subverted by a hostile file could use to run code in the
server. A fresh interpreter per file would cost ~300 ms of imports.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from archive.errors import ArchiveError, InvalidUpload
from archive.ingest.extract import wire
from archive.models import Extracted

P = TypeVar("P", bytes, str)

_PRELOAD = ("archive.ingest.extract",)  # every extractor: imported once, in the helper
_FRAME = struct.Struct("<Q")
_MiB = 1024 * 1024
START_SECONDS = 60.0  # for the helper to start and fork; a server fault (500) if it does not


@dataclass(frozen=True)
class Limits:
    """What one extraction may use. The wall clock is watched by the parent; CPU time and
    memory are rlimits inside the child, so it stops even if the parent dies meanwhile."""

    wall_seconds: float = 20.0
    cpu_seconds: int = 20
    memory_bytes: int = 1024 * _MiB  # RLIMIT_AS: the child's whole address space
    # The text sent back is bounded too: it lands in the server's memory and in the catalog.
    max_text_chars: int = 64 * _MiB


DEFAULT_LIMITS = Limits()


def run(
    fn: Callable[..., Extracted],
    payload: P,
    limits: Limits = DEFAULT_LIMITS,
    options: dict[str, Any] | None = None,
) -> Extracted:
    """fn(payload, **options) in a fresh child. `fn` is named by module and qualified name, so
    it must be importable; options must be JSON. Raises InvalidUpload (or the leaf fn raised:
    415, 413) when fn fails, runs out of time or memory, or the child dies."""
    # One child per CPU at a time: the wall clock then measures the file's own cost, not a
    # queue of uploads sharing the CPUs, and memory is bounded by slots x memory_bytes.
    with _HELPER.slots:
        return _run(fn, payload, limits, options or {})


def _run(
    fn: Callable[..., Extracted], payload: P, limits: Limits, options: dict[str, Any]
) -> Extracted:
    conn = _HELPER.child()
    pidfd = -1
    try:
        conn.settimeout(START_SECONDS)  # on first use the helper is still importing the parsers
        pid = _FRAME.unpack(_recv_exact(conn, _FRAME.size))[0]
    except (OSError, EOFError) as exc:
        conn.close()
        raise ArchiveError(f"the extraction sandbox did not start ({exc})") from None
    deadline = time.monotonic() + limits.wall_seconds
    try:
        pidfd = os.pidfd_open(pid)  # names this child even after its pid is reused
        header = {
            "fn": f"{fn.__module__}:{fn.__qualname__}",
            "text": isinstance(payload, str),
            "limits": asdict(limits),
            "options": options,
        }
        conn.settimeout(limits.wall_seconds)
        _send_frame(conn, json.dumps(header).encode())
        _send_frame(conn, payload.encode() if isinstance(payload, str) else payload)
        conn.settimeout(max(0.0, deadline - time.monotonic()))
        reply = _recv_frame(conn, limits.max_text_chars * 8 + _MiB)
    except TimeoutError:
        if pidfd >= 0:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        raise InvalidUpload(
            f"could not be read: it took too long (over {limits.wall_seconds:g} s)"
        ) from None
    except (EOFError, OSError):  # it died without answering: a crash or a hard limit
        raise InvalidUpload(
            "could not be read: the reader crashed on it, or was stopped for using too much "
            "time or memory"
        ) from None
    finally:
        conn.close()
        if pidfd >= 0:
            os.close(pidfd)
    outcome = wire.decode(reply, limits.memory_bytes, limits.cpu_seconds)
    if isinstance(outcome, Extracted):
        return outcome
    raise outcome


class _Helper:
    """The helper process, started on first use; restarted if it died."""

    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        """Start afresh: in a forked copy of the server the helper is the original's, and the
        lock may have been taken by a thread that does not exist in the copy."""
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
        self.process: subprocess.Popen[bytes] | None = None
        self.control: socket.socket | None = None

    def child(self) -> socket.socket:
        """A socket connected to a newly forked child of the helper."""
        mine, theirs = socket.socketpair()
        try:
            with self.lock:
                for attempt in (1, 2):
                    if (
                        self.control is None
                        or self.process is None
                        or self.process.poll() is not None
                    ):
                        self._start()
                    assert self.control is not None
                    try:
                        socket.send_fds(self.control, [b"+"], [theirs.fileno()])
                        break
                    except OSError:
                        self.stop()
                        if attempt == 2:
                            raise
        finally:
            theirs.close()
        return mine

    def _start(self) -> None:
        self.stop()
        control, remote = socket.socketpair()
        root = Path(__file__).resolve().parents[3]  # the folder that holds the archive package
        code = f"from archive.ingest.extract.sandbox import serve; serve({remote.fileno()})"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=root,
            pass_fds=[remote.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # stderr stays: a helper that dies should say why
            start_new_session=True,  # a Ctrl-C meant for the server is not the helper's
        )
        remote.close()
        self.control = control

    def stop(self) -> None:
        if self.control is not None:
            self.control.close()  # the helper exits when it sees the socket close
            self.control = None
        if self.process is not None:
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


_HELPER = _Helper()  # one per process, like the process's own stdin: started lazily
atexit.register(_HELPER.stop)
os.register_at_fork(after_in_child=_HELPER.forget)


# -- helper and child side ------------------------------------------------------------------


def serve(control_fd: int) -> None:
    """The helper's loop: fork a child for every socket the parent sends; exit when it is gone."""
    for name in _PRELOAD:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps finished children
    control = socket.socket(fileno=control_fd)
    while True:
        try:
            _, fds, _, _ = socket.recv_fds(control, 1, 1)
        except OSError:
            break
        if not fds:
            break  # end of file: the parent exited
        if os.fork() == 0:
            control.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _child(socket.socket(fileno=fds[0]))
        for fd in fds:
            os.close(fd)


class _CpuTime(BaseException):
    """Raised by the soft CPU limit's signal. A BaseException, so that a parser's broad
    `except Exception` cannot swallow it."""


def _on_cpu_limit(signum: int, frame: Any) -> None:
    raise _CpuTime  # the hard limit, a second later, is a SIGKILL for code that never yields


def _child(conn: socket.socket) -> NoReturn:
    try:
        conn.sendall(_FRAME.pack(os.getpid()))
        header = json.loads(_recv_frame(conn, _MiB))
        data = _recv_frame(conn, 1 << 40)
        limits = Limits(**header["limits"])
        _limit(resource.RLIMIT_CORE, 0)  # a crash must not leave a core file of an upload
        _limit(resource.RLIMIT_CPU, max(1, limits.cpu_seconds), max(1, limits.cpu_seconds) + 1)
        _limit(resource.RLIMIT_AS, limits.memory_bytes)
        signal.signal(signal.SIGXCPU, _on_cpu_limit)
        module, _, name = header["fn"].partition(":")
        fn: Any = importlib.import_module(module)
        for part in name.split("."):
            fn = getattr(fn, part)
        arg = data.decode() if header["text"] else data
        reply = _call(lambda: fn(arg, **header.get("options", {})), limits)
    except _CpuTime:
        reply = wire.CPU
    except MemoryError:
        reply = wire.MEMORY
    except BaseException:  # a broken request or socket: nothing useful to say
        os._exit(1)
    try:
        _send_frame(conn, reply)
    finally:
        os._exit(0)


def _call(fn: Callable[[], Any], limits: Limits) -> bytes:
    try:
        result = fn()
        if not isinstance(result, Extracted):
            raise TypeError(f"the reader returned {type(result).__name__}, not a document")
        if sum(len(block.text) for block in result.blocks) > limits.max_text_chars:
            raise InvalidUpload(
                f"holds more than {limits.max_text_chars:,} characters of text, over the limit"
            )
        return wire.encode(result)
    except MemoryError:
        raise
    except RecursionError:
        return wire.error(InvalidUpload("could not be read: it is nested too deeply"))
    except InvalidUpload as exc:  # the extractor's own verdict, with its status (415, 422)
        return wire.error(exc)
    except Exception as exc:  # any other failure of a parser on this file is the file's fault
        detail = " ".join(str(exc).split())[:200]
        kind = type(exc).__name__
        return wire.error(InvalidUpload(f"could not be read ({kind}{': ' * bool(detail)}{detail})"))


def _limit(which: int, soft: int, hard: int | None = None) -> None:
    """Lower a limit, never above the hard limit we inherited (raising it is not allowed)."""
    _, ceiling = resource.getrlimit(which)
    hard = soft if hard is None else hard
    if ceiling != resource.RLIM_INFINITY:
        soft, hard = min(soft, ceiling), min(hard, ceiling)
    resource.setrlimit(which, (soft, hard))


# -- framing ------------------------------------------------------------------------------


def _send_frame(conn: socket.socket, data: bytes) -> None:
    conn.sendall(_FRAME.pack(len(data)))
    conn.sendall(data)


def _recv_frame(conn: socket.socket, limit: int) -> bytes:
    size = _FRAME.unpack(_recv_exact(conn, _FRAME.size))[0]
    if size > limit:
        raise ConnectionError(f"a frame of {size:,} bytes, over {limit:,}")
    return _recv_exact(conn, size)


def _recv_exact(conn: socket.socket, size: int) -> bytes:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        n = conn.recv_into(view[got:], min(size - got, 4 * _MiB))
        if n == 0:
            raise EOFError("the other side closed the connection")
        got += n
    return bytes(buffer)
