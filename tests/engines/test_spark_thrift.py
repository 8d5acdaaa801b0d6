"""`spark.method: thrift`: dbt reaches a real Spark Thrift Server (the one pyspark ships) with orderlayer's profile,
and the session runs with orderlayer's settings even where the server's defaults differ (issue 16)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orderlayer.core.config import Settings, SparkSettings
from orderlayer.core.dbt import run_dbt

pytestmark = pytest.mark.spark


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def thrift_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A Spark Thrift Server on a free port whose own session zone is Asia/Shanghai and whose literals are escaped,
    so a session that did not get orderlayer's settings would show it."""
    import pyspark

    home = Path(pyspark.__file__).parent
    work = tmp_path_factory.mktemp("sts")
    port = _free_port()
    env = dict(os.environ, SPARK_HOME=str(home))
    command = [
        str(home / "bin" / "spark-submit"), "--master", "local[1]",
        "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
        "--conf", f"spark.sql.warehouse.dir={work / 'warehouse'}",
        "--conf", f"spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName={work / 'metastore_db'};create=true",
        "--conf", "spark.sql.session.timeZone=Asia/Shanghai", "--conf", "spark.ui.enabled=false",
        "--hiveconf", f"hive.server2.thrift.port={port}", "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
        "spark-internal",
    ]
    with (work / "server.log").open("w") as log:
        server = subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                assert server.poll() is None, (work / "server.log").read_text()[-3000:]
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(1)
            else:
                pytest.fail("the Thrift server did not listen within 240 s:\n" + (work / "server.log").read_text()[-3000:])
            yield port
        finally:
            server.terminate()
            server.wait(timeout=60)


def test_dbt_runs_on_a_thrift_server_with_orderlayer_s_session_settings(thrift_server: int, tmp_path: Path) -> None:
    settings = Settings(engine="spark", spark=SparkSettings(method="thrift", host="127.0.0.1", port=thrift_server))
    query = r"select current_timezone() as zone, '\d+' as pattern, '7784061' rlike '^\d+$' as digits"
    result = run_dbt(["show", "--inline", query, "--output", "json"], settings, tmp_path / "lake")
    assert result.ok, result.log_tail
    # the server's own zone is Asia/Shanghai and its literals escaped; orderlayer's session says UTC and raw text
    assert '"zone": "UTC"' in result.log_tail
    assert '"pattern": "\\\\d+"' in result.log_tail
    assert '"digits": true' in result.log_tail
