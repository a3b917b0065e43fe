"""Console scripts: clear messages for bad input, working queries over the lake."""

from datetime import date

import pytest

from lake_assets.cli import demo, query
from lake_assets.core.lake import LocalLake


def test_query_lists_and_queries_tables(spark, tmp_path, monkeypatch, capsys):
    lake = LocalLake(str(tmp_path))
    rows = spark.createDataFrame([("GET /tasks", 3)], "route_key string, requests long")
    lake.write(rows, "gold", "route_latency_daily", "2026-11-21")
    monkeypatch.setenv("LAKE_ROOT_URI", str(tmp_path))
    assert query.main(["--tables"]) == 0
    assert capsys.readouterr().out.split() == ["gold_route_latency_daily"]
    assert query.main(["SELECT dt, requests FROM gold_route_latency_daily"]) == 0
    out = capsys.readouterr().out
    assert "2026-11-21" in out and "3" in out


def test_query_reports_sql_errors_without_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LAKE_ROOT_URI", str(tmp_path))
    assert query.main(["SELECT * FROM nowhere"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lake-query: ") and "Traceback" not in err


def test_demo_rejects_bad_settings_and_arguments(monkeypatch, capsys):
    monkeypatch.setenv("LAKE_PARTITION_START", "yesterday")
    assert demo.main([]) == 2
    assert "LAKE_PARTITION_START" in capsys.readouterr().err
    monkeypatch.setenv("LAKE_PARTITION_START", "2026-11-10")
    assert demo.main(["--start", str(date(2026, 11, 1))]) == 2
    assert "before LAKE_PARTITION_START" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        demo.main(["--days", "0"])
    assert exc.value.code == 2
