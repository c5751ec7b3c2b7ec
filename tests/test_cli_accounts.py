"""`archive users …` and `archive tokens …`, run through click on a real catalog."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from archive.accounts import Accounts
from archive.cli.main import main
from archive.config import Settings
from archive.storage.catalog import Catalog

PASSWORD = "correct horse battery"


def run(root: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--root", str(root), *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_users_and_tokens_on_the_command_line(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    code, out, _ = run(
        root, "users", "add", "ada", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code == 0 and "added ada (admin)" in out
    assert (
        run(
            root,
            "users",
            "add",
            "bo",
            "--role",
            "reader",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )[0]
        == 0
    )
    assert run(root, "users", "set-role", "bo", "archivist")[0] == 0
    assert run(root, "users", "disable", "bo")[0] == 0
    code, out, _ = run(root, "users", "list")
    assert "ada\tadmin\tactive" in out and "bo\tarchivist\tdisabled" in out
    assert run(root, "users", "enable", "bo")[0] == 0
    # the last admin cannot be demoted: an error message, a non-zero exit
    assert run(root, "users", "set-role", "ada", "reader")[0] != 0

    code, out, err = run(root, "tokens", "create", "bo", "--scope", "write", "--name", "nightly")
    secret = out.strip()
    assert code == 0 and secret.startswith("arc_") and "shown only now" in err
    code, out, _ = run(root, "tokens", "list")
    assert "nightly" in out and "write" in out and secret not in out
    catalog = Catalog(Settings(root=root.resolve()).catalog_path)
    try:
        accounts = Accounts(catalog, Settings(root=root))
        assert accounts.tokens.authenticate(secret) is not None
        assert PASSWORD not in repr(catalog.query("SELECT * FROM users"))
        token_id = accounts.tokens.all("bo")[0].id
        assert run(root, "tokens", "revoke", str(token_id))[0] == 0
        assert accounts.tokens.authenticate(secret) is None
        assert accounts.users.verify_password("ada", PASSWORD).role == "admin"
    finally:
        catalog.close()


def test_account_commands_leave_the_index_alone(tmp_path: Path) -> None:
    # a server beside them owns the index: they open the catalog and nothing else
    root = tmp_path / "archive"
    add = ("users", "add", "ada", "--role", "admin", "--password-stdin")
    assert run(root, *add, stdin=PASSWORD + "\n")[0] == 0
    assert run(root, "tokens", "create", "ada", "--scope", "read", "--name", "n")[0] == 0
    settings = Settings(root=root.resolve())
    assert settings.catalog_path.exists() and not settings.index_dir.exists()


def test_a_password_is_never_an_argument(tmp_path: Path) -> None:
    # without a terminal and without --password-stdin there is no way to give one
    code, _, err = run(tmp_path, "users", "add", "ada", "--role", "admin")
    assert code != 0 and "--password-stdin" in err
    code, _, err = run(tmp_path, "users", "add", "ada", "--role", "admin", "--password", PASSWORD)
    assert code != 0 and "No such option" in err
