"""A newcomer's first hour, as a test: build this repository's wheel, then in an empty
folder follow docs/tutorial.rst and docs/testing.rst block by block (their marked
snippets, see tests/docs_snippets.py) in a fresh virtual environment that installs the
wheel with the users' ``testing`` extra from PyPI, and run the tests those pages wrote."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.docs_snippets import Snippet, snippets

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("tutorial", "testing")


def test_the_pages_have_runnable_snippets() -> None:
    found = {page: snippets(page) for page in PAGES}
    tutorial = found["tutorial"]
    assert [s.path for s in tutorial if s.action != "run"] == [
        "mysite/settings.py",
        "mysite/urls.py",
        "bot/wechat_handlers.py",
        "pytest.ini",
        "bot/test_bot.py",
    ]
    assert any("wechat_init" in c for s in tutorial for c in s.commands)
    assert any(c == "pytest" for s in found["testing"] for c in s.commands)
    assert len([s for s in found["testing"] if s.action == "write"]) >= 6


def build_wheel(out: Path) -> Path:
    """This checkout's wheel, built from a copy (a parallel build here would share build/)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    source = out / "source"
    for name in listed:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(out), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = built.stdout + built.stderr
    assert built.returncode == 0, log
    # setuptools' warning for a `project.license` table (issue 16) stays gone.
    assert "SetuptoolsDeprecationWarning" not in log, log
    assert "project.license" not in log, log
    (wheel,) = out.glob("*.whl")
    return wheel


def run(command: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"$ {command}\n{output}"
    return output


def follow(snippet: Snippet, project: Path, env: dict[str, str], wheel: Path) -> list[str]:
    """Do what one snippet says; the outputs of its commands."""
    if snippet.action == "run":
        outputs = []
        lines = snippet.text.splitlines()
        for number, line in enumerate(lines):
            if not line.startswith("$ "):
                continue
            # The package from this checkout's wheel instead of PyPI.
            command = line[2:].replace('"django-wechat-oa[', f'"{wheel}[')
            output = run(command, project, env)
            # The lines the page shows after a command are in what it printed.
            for expected in lines[number + 1 :]:
                if expected.startswith("$ "):
                    break
                assert expected.strip() in output, f"{snippet.page}.rst:{snippet.line}"
            outputs.append(output)
        return outputs
    target = project / str(snippet.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if snippet.action == "append":
        target.write_text(target.read_text("utf-8") + "\n" + snippet.text, "utf-8")
    else:
        target.write_text(snippet.text, "utf-8")
    return []


@pytest.mark.slow
def test_a_new_project_follows_the_tutorial_and_its_tests_pass(tmp_path: Path) -> None:
    started = time.monotonic()
    wheel = build_wheel(tmp_path / "dist")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV", "PYTHONHOME"}
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    project = tmp_path / "mysite"
    project.mkdir()

    outputs: list[str] = []
    for page in PAGES:
        for snippet in snippets(page):
            outputs += follow(snippet, project, env, wheel)

    # The pages ran pytest where they say to; then every test they wrote runs at the end.
    assert [out.count(" passed") for out in outputs if " passed in " in out] == [1, 1], outputs
    final = run("pytest -q -p no:cacheprovider", project, env)
    assert "12 passed" in final, final
    assert "failed" not in final, final
    assert "error" not in final.lower(), final
    print(f"\nnew project: {time.monotonic() - started:.1f} s; {final.strip().splitlines()[-1]}")
