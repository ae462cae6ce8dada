"""A PostgreSQL restart while the shop runs: requests during the outage answer 503, and afterwards everything works
without restarting the shop (the pool reconnects: ``pool_pre_ping``).

The test runs its own throw-away PostgreSQL cluster (``initdb`` + ``pg_ctl`` on a free port, in a temporary
directory) so that stopping it disturbs nobody; it is skipped when those commands are missing (or when running as
root without a ``postgres`` user to run them as).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .server import ADMIN, ShopProcess, sql_available

pytestmark = pytest.mark.skipif(not sql_available(), reason="needs SQLAdapter")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, root: Path, port: int, user: str | None) -> None:
        self.root, self.port, self.user = root, port, user
        self.data = root / "data"

    def run(self, *args: str) -> None:
        command = [shutil.which(args[0]) or args[0], *args[1:]]
        if self.user is not None:
            command = ["su", self.user, "-c", " ".join(f"'{part}'" for part in command)]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def pg_ctl(self, action: str) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-m", "fast",
                 "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1", action)  # fmt: skip


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not shutil.which("initdb") or not shutil.which("pg_ctl"):
        pytest.skip("initdb/pg_ctl not installed")
    user = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres user")
        user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="shop-pg-"))
    if user is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    db = Cluster(root, _free_port(), user)
    try:
        db.run("initdb", "-D", str(db.data), "-A", "trust", "-U", "postgres")
        db.pg_ctl("start")
        yield db
    finally:
        try:
            db.pg_ctl("stop")
        except Exception:
            pass
        shutil.rmtree(root, ignore_errors=True)


def test_a_postgresql_restart_answers_503s_then_recovers(cluster: Cluster, tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{cluster.port}/postgres"
    shop = ShopProcess({"DATABASE_URL": url}, tmp_path).start()
    try:
        with httpx.Client(base_url=shop.url, timeout=30) as http:
            credentials = {"email": ADMIN["email"], "password": ADMIN["password"]}
            assert http.post("/api/public/login", json=credentials).status_code == 200
            cluster.pg_ctl("stop")
            for response in (http.get("/api/product", params={"page": 2}),
                             http.post("/api/public/login", json=credentials),
                             http.post("/api/public/register", json={"name": "During", "email": "during@x.io",
                                                                     "password": "password123"})):  # fmt: skip
                assert response.status_code == 503, response.text
                assert response.json()["type"] == "ADAPTER_CONNECTION_ERROR"
            cluster.pg_ctl("start")
            assert http.post("/api/public/login", json=credentials).status_code == 200
            registered = http.post("/api/public/register", json={"name": "After", "email": "after@x.io",
                                                                  "password": "password123"})  # fmt: skip
            assert registered.status_code == 200, registered.text
            assert http.get("/api/product").json()["total"] == 3
    finally:
        assert shop.stop() == 0, shop.output()
