"""TLS on both sides of the proxy: the agent's connection (the proxy's own certificate) and
the upstream connection (`sslmode` in the resource's upstream URL).

The machine's cluster runs without ssl, so the upstream tests start a throwaway cluster
(initdb as `postgres`) whose pg_hba.conf accepts only TLS connections (`hostssl` trust,
`hostnossl` reject): a session that works through it was encrypted. Its certificate names
only `localhost`, signed by a CA made here, so verify-full is tested both ways.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from interlock.identity import ResourceRegistry
from interlock.proxy.pg import build_server, tls_context
from tests._pki import make_ca, make_leaf
from tests.proxy_pg.conftest import ADMIN, PG_HOST, PG_PORT, Proxy, start_in_thread, stop_thread

pytestmark = pytest.mark.integration

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((PG_HOST, 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def tls_dir() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="interlock-tls-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def ssl_cluster(tls_dir: Path) -> Iterator[tuple[int, Path, Path]]:
    """A throwaway cluster on 127.0.0.1 that accepts TLS only: (port, CA file, other CA)."""
    if os.geteuid() != 0 or not (PG_BIN / "initdb").exists() or not shutil.which("runuser"):
        pytest.skip("needs root, runuser and PostgreSQL 15's initdb to start a TLS cluster")
    ca = make_ca("interlock test CA")
    cert, key = make_leaf(ca, [x509.DNSName("localhost")])
    ca_file = tls_dir / "ca.crt"
    ca_file.write_bytes(ca[1].public_bytes(serialization.Encoding.PEM))
    other_ca = tls_dir / "other-ca.crt"
    other_ca.write_bytes(make_ca("someone else")[1].public_bytes(serialization.Encoding.PEM))
    data = tls_dir / "data"
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")

    def as_postgres(*command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            check=True,
            capture_output=True,
            timeout=60,
        )

    as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-N")
    (data / "server.crt").write_bytes(cert)
    (data / "server.key").write_bytes(key)
    for name in ("server.crt", "server.key"):
        shutil.chown(data / name, "postgres", "postgres")
    (data / "server.key").chmod(0o600)
    port = free_port()
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{data}'\nssl = on\nfsync = off\n"
            "max_connections = 20\nshared_buffers = 16MB\n"
        )
    (data / "pg_hba.conf").write_text(
        "local all all trust\n"
        "hostssl all all 127.0.0.1/32 trust\n"
        "hostnossl all all 127.0.0.1/32 reject\n"
    )
    as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(data / "log"), "start")
    try:
        yield port, ca_file, other_ca
    finally:
        stop = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *stop],
            check=False,
            capture_output=True,
            timeout=60,
        )


@pytest.fixture(scope="module")
def tls_resources(proxy: Proxy, ssl_cluster: tuple[int, Path, Path]) -> dict[str, str]:
    """Resources named for their upstream TLS settings, all on the TLS-only cluster except
    `tls-require-plain` (the machine's cluster, ssl off)."""
    port, ca, other = ssl_cluster
    base = f"postgresql://postgres@{{host}}:{port}/postgres?sslmode="
    urls = {
        "tls-prefer": base.format(host="127.0.0.1") + "prefer",
        "tls-require": base.format(host="127.0.0.1") + "require",
        "tls-disable": base.format(host="127.0.0.1") + "disable",
        "tls-verify-full": base.format(host="localhost") + f"verify-full&sslrootcert={ca}",
        "tls-verify-full-wrong-host": base.format(host="127.0.0.1")
        + f"verify-full&sslrootcert={ca}",
        "tls-verify-ca-other-ca": base.format(host="127.0.0.1") + f"verify-ca&sslrootcert={other}",
        "tls-require-plain": f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{proxy.database}"
        "?sslmode=require",
    }
    registry = ResourceRegistry.for_home(proxy.home)
    for name, url in urls.items():
        registry.add(
            ADMIN, name, kind="postgres", environment="staging", upstream=url, credential=None
        )
    return urls


def ssl_in_use(conn: psycopg.Connection[tuple[object, ...]]) -> object:
    row = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    return row[0] if row else None


@pytest.mark.parametrize("resource", ["tls-prefer", "tls-require", "tls-verify-full"])
def test_upstream_tls_modes_that_connect(
    proxy: Proxy, tls_resources: dict[str, str], resource: str
) -> None:
    with psycopg.connect(proxy.dsn("writer", resource), autocommit=True) as conn:
        assert ssl_in_use(conn) is True


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("tls-disable", "no encryption"),  # the cluster's hostnossl reject
        ("tls-verify-full-wrong-host", "certificate"),  # the cert names localhost only
        ("tls-verify-ca-other-ca", "certificate verify failed"),
        ("tls-require-plain", "does not accept TLS"),
    ],
)
def test_upstream_tls_refusals(
    proxy: Proxy, tls_resources: dict[str, str], resource: str, expected: str
) -> None:
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(proxy.dsn("writer", resource), connect_timeout=10)
    assert expected in str(caught.value)


def test_agent_side_tls_accepts_the_token_without_the_loopback_flag(
    proxy: Proxy, tls_dir: Path
) -> None:
    ca = make_ca("proxy CA")
    cert, key = make_leaf(ca, [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    (tls_dir / "proxy.crt").write_bytes(cert)
    (tls_dir / "proxy.key").write_bytes(key)
    (tls_dir / "proxy-ca.crt").write_bytes(ca[1].public_bytes(serialization.Encoding.PEM))
    context = tls_context(tls_dir / "proxy.crt", tls_dir / "proxy.key")
    server, loop, thread = start_in_thread(
        lambda: build_server(proxy.home, port=0, ssl_context=context, allow_cleartext=False)
    )
    try:
        dsn = f"postgresql://writer:{proxy.tokens['writer']}@127.0.0.1:{server.port}/prod"
        with psycopg.connect(dsn + "?sslmode=require", autocommit=True) as conn:
            assert conn.pgconn.ssl_in_use
            assert conn.execute("SELECT 1").fetchone() == (1,)
        root = tls_dir / "proxy-ca.crt"
        with psycopg.connect(f"{dsn}?sslmode=verify-full&sslrootcert={root}") as conn:
            assert conn.pgconn.ssl_in_use
        with pytest.raises(psycopg.OperationalError) as caught:
            psycopg.connect(dsn + "?sslmode=disable")
        assert "only over TLS" in str(caught.value)
    finally:
        stop_thread(server, loop, thread)


@pytest.mark.parametrize("resource", ["tls-require", "tls-verify-full"])
def test_cli_client_honours_sslmode(
    proxy: Proxy, tls_resources: dict[str, str], resource: str
) -> None:
    """`interlock undo` / `trash` connect with the same client: it must speak TLS too."""
    import asyncio

    from interlock.proxy.pg._client import Connection
    from interlock.proxy.pg._login import parse_upstream

    record = ResourceRegistry.for_home(proxy.home).get(resource)
    assert record.upstream is not None
    target = parse_upstream(record.resource, record.upstream)

    async def ssl_used() -> list[list[str | None]]:
        conn = await Connection.open(
            target.host, target.port, target.database, target.user, None, tls=target.tls
        )
        try:
            sql = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            return (await conn.query(sql)).rows
        finally:
            await conn.close()

    assert asyncio.run(ssl_used()) == [["t"]]
