"""An installed archive, not only a checkout, serves its pages: a wheel built from the repository
carries the templates (top-level templates/, mapped into the package), the static files, the
variants list and the demo collection."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_wheel_built_from_the_repository_serves_the_search_page(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr
    [wheel] = tmp_path.glob("archive-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("archive/templates/search.html", "archive/templates/_partials/hit.html",
                   "archive/web/static/style.css", "archive/search/variants.txt",
                   "archive/cli/demo/demo.jsonl.gz"):  # fmt: skip
        assert needed in names
    # installed into a folder of its own, ahead of the checkout; the test's interpreter brings
    # the dependencies
    site = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import archive.web.app as a; print(a.__file__, a.TEMPLATES_DIR)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    module, templates = where.stdout.split()
    # the console script that `make run` calls (.venv/bin/archive) names a function that exists
    script = subprocess.run(
        [str(site / "bin" / "archive"), "--help"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert script.returncode == 0 and "serve" in script.stdout, script.stderr
    assert module.startswith(str(site)) and templates.startswith(str(site)), where.stdout
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "archive", "--root", str(tmp_path / "data"), "serve",
         "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/search?q=ukraine", timeout=5) as r:
                    page = r.read().decode()
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "the installed server did not answer"
                time.sleep(0.2)
        assert r.status == 200 and "<form" in page and 'name="q"' in page
        with urllib.request.urlopen(f"{base}/static/style.css", timeout=5) as css:
            assert css.status == 200 and css.read()
    finally:
        server.terminate()
        server.wait(30)
