"""The emulator package's layering: its modules never import the server back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import django_wechat.testing.emulator as package
from django_wechat.testing.emulator import control
from django_wechat.testing.emulator.http import ROUTES

PACKAGE = "django_wechat.testing.emulator"
ROOT = Path(package.__file__).parent
#: Every module but the server itself and the package's front door.
MODULES = sorted(
    p
    for p in ROOT.rglob("*.py")
    if p.relative_to(ROOT).as_posix() not in ("server.py", "__init__.py")
)


def _imported(path: Path) -> set[str]:
    """The modules ``path`` imports from, as absolute dotted names."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    # Relative imports start from the module's package (a package's own, for __init__).
    here = [*PACKAGE.split("."), *parts[:-1]]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_module_of_the_emulator_imports_the_server(path: Path) -> None:
    imported = _imported(path)
    assert f"{PACKAGE}.server" not in imported
    assert f"{PACKAGE}.WeChatEmulator" not in imported


def test_the_layout_check_sees_relative_imports() -> None:
    # So the test above cannot pass by reading nothing: control imports .http.
    assert f"{PACKAGE}.http" in _imported(ROOT / "control.py")
    assert f"{PACKAGE}.state" in _imported(ROOT / "routes" / "token.py")


def test_every_route_lives_in_routes() -> None:
    assert ROUTES
    for api, route in ROUTES.items():
        assert route.func.__module__.startswith(f"{PACKAGE}.routes."), api


def test_every_control_action_is_documented() -> None:
    documented = control.__doc__ or ""
    for action in control.ACTIONS:
        assert f"_emulator/{action}" in documented, action
