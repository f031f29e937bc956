"""The wheel, installed as an operator installs it: built with `python -m build` from exactly the
files the Dockerfile's build stage copies, installed with constraints.txt into a new virtual
environment outside the repository by a user who is not root, and run from there:
`tocsin --version`, `tocsin quickstart`, then `tocsin serve`, which answers /healthz, takes the
quickstart's webhook and places its call through the simulator with espeak-ng's speech.

The packages are fetched first, with the machine's pip configuration and cache, into a folder
of wheels; the user installs from that folder alone (`--no-index`), so what is installed is the
wheel's own dependencies at constraints.txt's versions, and nothing of the development venv.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.helpers import START_TIMEOUT, alert_transcripts, free_port, wait_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# The build stage's COPY lines (tests/packaging/test_deploy_files.py holds them to the
# Dockerfile and .dockerignore).
BUILD_CONTEXT = ("constraints.txt", "pyproject.toml", "README.md", "LICENSE", "src")
INSTALL_TIMEOUT = 240


@dataclass(frozen=True)
class Installer:
    """Who installs and runs the wheel, and with which Python."""

    uid: int
    gid: int
    python: str

    def run(
        self, args: list[str], *, env: dict[str, str], cwd: Path, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            args,
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **self.identity(),
        )
        assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result

    def identity(self) -> dict[str, object]:
        """subprocess's arguments that drop to this user, when we are root."""
        if os.geteuid() != 0:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def _pythons() -> Iterator[str]:
    """This Python's own installation first, then the system's."""
    base = getattr(sys, "_base_executable", sys.executable)
    yield str(Path(base).resolve())
    minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for folder in ("/usr/local/bin", "/usr/bin"):
        yield f"{folder}/{minor}"


def _installer() -> Installer:
    """Ourselves when we are not root; otherwise `nobody`, with the first Python of our
    version it can run and make a venv with (ours may be in root's home, which it cannot
    enter)."""
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("running as root and there is no user `nobody` to install as")
        uid, gid = account.pw_uid, account.pw_gid
    else:
        uid, gid = os.getuid(), os.getgid()
    probe = "import ensurepip, sys, venv; print(sys.version_info[:2])"
    for python in _pythons():
        candidate = Installer(uid=uid, gid=gid, python=python)
        if not Path(python).exists():
            continue
        try:
            result = subprocess.run(
                [python, "-c", probe],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
                cwd="/",
                **candidate.identity(),
            )
        except PermissionError:
            continue
        if result.returncode == 0 and result.stdout.strip() == str(sys.version_info[:2]):
            return candidate
    pytest.skip(
        f"no Python {sys.version_info.major}.{sys.version_info.minor} with venv that user "
        f"{uid} can run (Debian: apt-get install python3-venv)"
    )


@pytest.fixture
def home() -> Iterator[Path]:
    """A home of the installer's own, outside the repository and pytest's folders (which
    only root may enter)."""
    path = Path(tempfile.mkdtemp(prefix="tocsin-wheel-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def build_wheel(tmp_path: Path) -> Path:
    context = tmp_path / "context"
    context.mkdir()
    for name in BUILD_CONTEXT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, context / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, context / name)
    dist = tmp_path / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(context)],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [wheel] = dist.glob("tocsin-*.whl")
    return wheel


def fetch_dependencies(wheel: Path, wheels: Path, python: str, tmp_path: Path) -> None:
    """The wheels the installer's Python needs, fetched by a pip of that Python (its version
    decides some requirements: redis wants async-timeout below 3.11.3), run as us, with our
    pip's configuration and cache."""
    fetcher = tmp_path / "fetcher"
    for args in (
        [python, "-m", "venv", str(fetcher)],
        [
            str(fetcher / "bin" / "python"),
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--constraint",
            str(ROOT / "constraints.txt"),
            "--wheel-dir",
            str(wheels),
            str(wheel),
        ],
    ):
        result = subprocess.run(
            args, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def give(path: Path, installer: Installer) -> None:
    """Make `path` and everything in it the installer's."""
    for folder, _, files in os.walk(path):
        os.chown(folder, installer.uid, installer.gid)
        for name in files:
            os.chown(Path(folder) / name, installer.uid, installer.gid)


# Building, fetching (from pip's cache after the first run) and installing take about a minute
# on a quiet machine; far longer on a busy one.
@pytest.mark.timeout(900)
def test_the_wheel_installs_for_another_user_and_serves_the_quickstart(
    tmp_path: Path, home: Path
) -> None:
    installer = _installer()
    wheel = build_wheel(tmp_path)
    version = wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as archive:
        assert f"tocsin-{version}.dist-info/licenses/LICENSE" in archive.namelist()
    wheels = home / "wheels"
    fetch_dependencies(wheel, wheels, installer.python, tmp_path)
    shutil.copy2(ROOT / "constraints.txt", home / "constraints.txt")
    give(home, installer)

    port = free_port()
    venv = home / "venv"
    env = {
        "HOME": str(home),
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        # No pip configuration of this machine's (indexes, caches, constraints) applies.
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "TOCSIN_PROVIDER": "simulator",
        "TOCSIN_DATABASE_URL": f"sqlite:///{home / 'tocsin.db'}",
        "TOCSIN_DATA_DIR": str(home / "data"),
        "TOCSIN_PORT": str(port),
        "TOCSIN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    installer.run([installer.python, "-m", "venv", str(venv)], env=env, cwd=home, timeout=120)
    installer.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            # Byte-compiling thousands of modules is a third of the install, and not its test.
            "--no-compile",
            "--no-index",
            "--find-links",
            str(wheels),
            "--constraint",
            str(home / "constraints.txt"),
            str(wheels / wheel.name),
        ],
        env=env,
        cwd=home,
        timeout=INSTALL_TIMEOUT,
    )
    tocsin = str(venv / "bin" / "tocsin")
    said = installer.run([tocsin, "--version"], env=env, cwd=home, timeout=60)
    assert said.stdout == f"tocsin {version}\n"
    # The package imported is the installed one, not this checkout's.
    where = installer.run(
        [str(venv / "bin" / "python"), "-c", "import tocsin; print(tocsin.__file__)"],
        env=env,
        cwd=home,
        timeout=60,
    )
    assert where.stdout.startswith(str(venv))

    quickstart = installer.run([tocsin, "quickstart"], env=env, cwd=home, timeout=120)
    assert f"http://127.0.0.1:{port}/v1/hooks/" in quickstart.stdout
    settings = dict(
        re.findall(r"^export (\w+)=(.*)$", (home / "data" / "quickstart.env").read_text(), re.M)
    )

    log_path = home / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [tocsin, "serve"],
            env=env,
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
            **installer.identity(),
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5.0) as client:

            def healthy() -> bool:
                if server.poll() is not None:
                    raise AssertionError(f"tocsin serve exited:\n{log_path.read_text()}")
                try:
                    return client.get("/healthz").status_code == 200
                except httpx.TransportError:
                    return False

            wait_for(healthy, timeout=START_TIMEOUT, what="tocsin serve answers /healthz")
            assert client.get("/healthz").json()["version"] == version
            # The dashboard's templates and static files came with the wheel.
            signup = client.get("/signup")
            assert signup.status_code == 200
            [stylesheet] = re.findall(r'href="(/static/[^"]+\.css)"', signup.text)
            assert client.get(stylesheet).status_code == 200
            # So did the API documentation's viewers, served from the package (no CDN).
            [bundle] = re.findall(r'src="(/apidocs/[^"]+\.js)"', client.get("/docs").text)
            assert client.get(bundle).status_code == 200
            answer = client.post(
                settings["TOCSIN_HOOK_URL"],
                headers={"X-Alert-Key": settings["TOCSIN_ALERT_KEY"]},
                json={"title": "Disk full on db1", "severity": "critical"},
            )
            assert answer.status_code == 202, answer.text
            assert answer.json()["outcome"] == "created"
            assert answer.json()["calls_queued"] == 1
            transcript = wait_for(
                lambda: next(iter(alert_transcripts(home / "data" / "simulator")), None),
                timeout=30,
                what="the simulated call",
            )
            words = wait_for(
                lambda: text if "completed" in (text := transcript.read_text()) else None,
                timeout=30,
                what="the simulated call to finish",
            )
            assert "Disk full on db1" in words
            # espeak-ng, from the espeakng-loader wheel, speaks the call in the new venv: at
            # least a second of 8 kHz 16-bit audio, written after the transcript.
            speech = transcript.with_suffix(".wav")
            wait_for(
                lambda: speech.exists() and speech.stat().st_size > 16_000,
                timeout=30,
                what="the simulated call's speech",
            )
        # Everything was written by the installer, not by root.
        for written in (home / "tocsin.db", home / "data" / "secret.key", speech):
            assert written.stat().st_uid == installer.uid, written
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    # Stopped in order: uvicorn ends by raising the SIGTERM it handled again.
    assert server.returncode in (0, -signal.SIGTERM), log_path.read_text()
    assert "Application shutdown complete" in log_path.read_text()
