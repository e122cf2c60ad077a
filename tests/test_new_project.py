"""A newcomer's first hour, as a test: build this repository's wheel, then in an empty
folder follow docs/tutorial.rst and docs/testing.rst block by block (their marked
snippets, see tests/docs_snippets.py) in a fresh virtual environment that installs the
wheel with the users' ``testing`` extra from PyPI, and run the tests those pages wrote."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.docs_snippets import Snippet, snippets

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("tutorial", "testing")


def test_the_pages_have_runnable_snippets() -> None:
    found = {page: snippets(page) for page in PAGES}
    tutorial = found["tutorial"]
    assert [s.path for s in tutorial if s.path] == [
        "mysite/settings.py",
        "mysite/urls.py",
        "bot/wechat_handlers.py",
        "pytest.ini",
        "bot/test_bot.py",
    ]
    assert any("wechat_init" in c for s in tutorial for c in s.commands)
    servers = [c for s in tutorial if s.action == "background" for c in s.commands]
    assert servers == ["python manage.py wechat_emulator --port 8001", "python manage.py runserver"]
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Project:
    """The new project's folder, environment and servers, and what the pages replace."""

    folder: Path
    env: dict[str, str]
    wheel: Path
    emulator_port: int
    site_port: int
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def command(self, line: str) -> str:
        """A page's command as this test runs it: this checkout's wheel instead of PyPI's
        package, free ports instead of 8001 (the emulator) and 8000 (runserver)."""
        line = line.replace('"django-wechat-oa[', f'"{self.wheel}[')
        line = line.replace("--port 8001", f"--port {self.emulator_port}")
        if line == "python manage.py runserver":
            return f"python manage.py runserver 127.0.0.1:{self.site_port} --noreload"
        if line.startswith("python manage.py wechat_simulate"):
            return f"{line} --url http://127.0.0.1:{self.site_port}/wechat/callback/default/"
        return line

    def run(self, command: str) -> str:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"$ {command}\n{output}"
        return output

    def start(self, command: str, port: int) -> None:
        """Start a server and wait until it listens on ``port``."""
        server = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.servers.append(server)
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                error = server.stderr.read().decode() if server.stderr else ""
                raise AssertionError(f"$ {command}\n{error}")
            time.sleep(0.1)

    def stop(self) -> None:
        for server in self.servers:
            server.terminate()
            server.wait(timeout=10)

    def follow(self, snippet: Snippet) -> list[str]:
        """Do what one snippet says; the outputs of its commands."""
        if snippet.action == "background":
            for line in snippet.commands:
                command = self.command(line)
                port = self.emulator_port if "wechat_emulator" in command else self.site_port
                self.start(command, port)
            return []
        if snippet.action == "run":
            outputs = []
            for line, shown in snippet.steps:
                output = self.run(self.command(line))
                for pattern in shown:
                    assert pattern.search(output), (
                        f"{snippet.page}.rst:{snippet.line}: $ {line}\n"
                        f"expected {pattern.pattern!r} in:\n{output}"
                    )
                outputs.append(output)
            return outputs
        target = self.folder / str(snippet.path)
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
    folder = tmp_path / "mysite"
    folder.mkdir()
    emulator_port, site_port = free_port(), free_port()
    # What with_emulator() reads: the settings follow the emulator to its free port.
    env["WECHAT_EMULATOR_URL"] = f"http://127.0.0.1:{emulator_port}"
    project = Project(folder, env, wheel, emulator_port, site_port)
    outputs: list[str] = []
    try:
        for page in PAGES:
            for snippet in snippets(page):
                outputs += project.follow(snippet)
    finally:
        project.stop()

    # The pages ran pytest where they say to; then every test they wrote runs at the end.
    assert [out.count(" passed") for out in outputs if " passed in " in out] == [1, 1], outputs
    final = project.run("pytest -q -p no:cacheprovider")
    assert "12 passed" in final, final
    assert "failed" not in final, final
    assert "error" not in final.lower(), final
    print(f"\nnew project: {time.monotonic() - started:.1f} s; {final.strip().splitlines()[-1]}")
