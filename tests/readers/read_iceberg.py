"""Reads one table of floe's embedded catalog with two Iceberg readers that floe
did not write, pyiceberg and DuckDB's iceberg extension, and prints the rows each
sees as JSON: {"pyiceberg": [[...], ...], "duckdb": [[...], ...]}.

usage: read_iceberg.py WAREHOUSE CATALOG NAMESPACE.TABLE COLUMN...

Columns are selected by name, each value is cast to VARCHAR by DuckDB (so both
readers, and floe's own DuckDB, format values alike) and rows are sorted.
"""

import json
import os
import sys
from pathlib import Path

import duckdb
import duckdb_extension_avro
import duckdb_extension_iceberg
from pyiceberg.catalog.sql import SqlCatalog


def extension(module, name):
    base = Path(module.__file__).parent / "extensions"
    return str(next(base.glob(f"*/{name}.duckdb_extension")))


def select(columns, source):
    cast = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in columns)
    return f"SELECT {cast} FROM {source} ORDER BY ALL"


def main():
    warehouse, name, table, *columns = sys.argv[1:]
    warehouse = Path(warehouse).resolve()
    catalog = SqlCatalog(
        name,
        uri=f"sqlite:///{warehouse / 'catalog.db'}",
        warehouse=(warehouse / name).as_uri(),
    )
    loaded = catalog.load_table(table)
    arrow = loaded.scan().to_arrow()

    db = duckdb.connect(config={"autoinstall_known_extensions": "false"})
    db.execute(f"LOAD '{extension(duckdb_extension_avro, 'avro')}'")
    db.execute(f"LOAD '{extension(duckdb_extension_iceberg, 'iceberg')}'")
    seen = {"pyiceberg": db.execute(select(columns, "arrow")).fetchall()}
    metadata = loaded.metadata_location.removeprefix("file://")
    scan = f"iceberg_scan('{metadata}')"
    seen["duckdb"] = db.execute(select(columns, scan)).fetchall()
    json.dump({k: [list(r) for r in v] for k, v in seen.items()}, sys.stdout)


if __name__ == "__main__":
    main()
