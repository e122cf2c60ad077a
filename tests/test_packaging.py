"""The sdist and the wheel carry every file the app needs at run time."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA_SUFFIXES = {".html", ".txt", ".css", ".js", ".png", ".svg", ".po", ".mo", ".typed"}


def package_files() -> set[str]:
    """Every file under django_wechat/ that git tracks or would track (not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "django_wechat"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {name for name in listed if (ROOT / name).is_file()}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout to know which files belong to the package")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--sdist",
            "--wheel",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@pytest.mark.slow
def test_wheel_contains_every_package_file(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = package_files()
    assert "django_wechat/py.typed" in expected
    assert any(Path(n).suffix in DATA_SUFFIXES for n in expected)
    missing = sorted(expected - names)
    assert not missing, f"missing from the wheel: {missing}"
    assert wheel.name.startswith("django_wechat_oa-")


@pytest.mark.slow
def test_sdist_contains_every_package_file_and_the_tests(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    missing = sorted(package_files() - names)
    assert not missing, f"missing from the sdist (check MANIFEST.in): {missing}"
    for required in (
        "README.rst",
        "LICENSE",
        "pyproject.toml",
        "tests/test_checks.py",
        "docs/index.rst",
    ):
        assert required in names
