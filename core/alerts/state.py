"""`ops.alert_state`: per destination, the colour of each light it was last told about (absent = green)."""

from __future__ import annotations

from datetime import datetime

import duckdb

from orderlayer.core.warehouse import OPS, ensure_ops

LightKey = tuple[str, str | None]  # (gate_id, channel)


def told(conn: duckdb.DuckDBPyConnection) -> dict[str, dict[LightKey, str]]:
    """destination → (gate_id, channel) → the non-green colour last sent."""
    ensure_ops(conn, "alert_state")
    out: dict[str, dict[LightKey, str]] = {}
    for destination, gate_id, channel, colour in conn.execute(
        f"SELECT destination, gate_id, channel, colour FROM {OPS}.alert_state"
    ).fetchall():
        out.setdefault(destination, {})[gate_id, channel] = colour
    return out


def remember(
    conn: duckdb.DuckDBPyConnection,
    destination: str,
    colours: dict[LightKey, str],
    run_id: str,
    at: datetime,
) -> None:
    """After a delivery: the destination now knows these lights' colours (the lights of this run it is routed)."""
    ensure_ops(conn, "alert_state")
    conn.execute("BEGIN TRANSACTION")
    try:
        for (gate_id, channel), colour in colours.items():
            conn.execute(
                f"DELETE FROM {OPS}.alert_state WHERE destination = ? AND gate_id = ? AND channel IS NOT DISTINCT FROM ?",
                [destination, gate_id, channel],
            )
            if colour != "green":
                conn.execute(
                    f"INSERT INTO {OPS}.alert_state VALUES (?, ?, ?, ?, ?, ?)",
                    [destination, gate_id, channel, colour, run_id, at],
                )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
