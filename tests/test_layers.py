"""The layering of pyproject.toml's import-linter contracts holds, and it bites: a module
that imports upward fails `lint-imports` with a message naming the import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package and the configuration, to break on purpose."""
    shutil.copytree(
        ROOT / "django_wechat",
        tmp_path / "django_wechat",
        ignore=shutil.ignore_patterns("__pycache__", "locale", "static", "templates"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_package_keeps_its_contracts(tree: Path) -> None:
    done = lint_imports(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 kept, 0 broken" in done.stdout


def test_crypto_importing_views_breaks_the_layers(tree: Path) -> None:
    crypto = tree / "django_wechat" / "crypto.py"
    crypto.write_text(crypto.read_text() + "\nfrom . import views  # noqa: E402\n")
    done = lint_imports(tree)
    assert done.returncode != 0
    assert "django_wechat.crypto -> django_wechat.views" in done.stdout


def test_a_cycle_between_two_modules_is_refused(tree: Path) -> None:
    group = tree / "django_wechat" / "client" / "group.py"
    group.write_text(group.read_text() + "\nfrom . import menu  # noqa: E402\n")
    done = lint_imports(tree)
    assert done.returncode != 0
    assert "No cycles are allowed in django_wechat.client" in done.stdout


def test_only_the_test_kit_imports_the_emulator(tree: Path) -> None:
    # wechat_simulate sits above testing in the layers: only the protected contract minds.
    command = tree / "django_wechat" / "management" / "commands" / "wechat_simulate.py"
    command.write_text(
        command.read_text() + "\nfrom ...testing.emulator import server  # noqa: E402\n"
    )
    done = lint_imports(tree)
    assert done.returncode != 0
    assert "3 kept, 1 broken" in done.stdout
    assert "django_wechat.management.commands.wechat_simulate -> " in done.stdout
