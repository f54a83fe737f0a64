"""Query engines: one Ibis connection per store, on DuckDB (embedded, the default) or Spark.

The store's tables and every metric are Ibis expressions (DESIGN.md §2), so
the engine only decides where they run. This module is the one place that
knows how each engine creates a connection, registers Parquet files and
in-memory tables, and hands results back:

- DuckDB: an in-process database; Parquet files are read in place. It
  holds at most `$HUBECON_MEMORY_LIMIT` (DuckDB's syntax: 2GB, 800MB;
  default an eighth of the RAM or of the container's limit, at least 1 GiB)
  and spills the rest of a join, aggregate or built table to a temporary
  folder.
- Spark: a SparkSession whose master URL is `$HUBECON_SPARK_MASTER`
  (default `local[2]`, Spark inside this process), session time zone UTC.
  The same Parquet files are read by Spark's own reader; a cluster needs them
  on storage every executor can reach (a shared file system, HDFS, S3).

Results come back the same from both: timestamps as UTC-aware pandas values
and list columns as Python lists.
"""

from __future__ import annotations

import functools
import os
import tempfile
import uuid
from pathlib import Path

import duckdb
import ibis
import ibis.backends.duckdb
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hubecon.errors import HubeconError

ENGINES = ("duckdb", "spark")
SPARK_MASTER_ENV = "HUBECON_SPARK_MASTER"
MEMORY_LIMIT_ENV = "HUBECON_MEMORY_LIMIT"
DEFAULT_SPARK_MASTER = "local[2]"
# DuckDB's own default, 80% of the RAM, lets it keep caches and intermediates beside the pandas frames a
# session also holds: at 1M models × 52 snapshots the suite peaked at 11 GiB that way; an eighth (2.9 GiB
# on the bench's machine) halved that peak for about 6% more time (bench/RESULTS.md).
DEFAULT_MEMORY_FRACTION = 8
# A container's memory limit (cgroup v2, then v1), which the RAM the system reports ignores.
CGROUP_MEMORY_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
# Settings of the session hubecon starts; a session someone else started keeps its own, but not its time zone.
SPARK_CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.parquet.enableVectorizedReader": "true",
    "spark.driver.memory": "2g",
}


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise HubeconError(f"--engine: '{engine}' is not one of {', '.join(ENGINES)}")
    return engine


def connect(engine: str = "duckdb") -> ibis.BaseBackend:
    """A fresh Ibis connection on `engine` (Spark: to the process's one SparkSession)."""
    check_engine(engine)
    if engine == "duckdb":
        con = DuckDBBackend().connect()
        con.raw_sql("SET TimeZone = 'UTC'")
        # A spill folder of its own: DuckDB's default (.tmp in the working directory) is shared by every
        # database there, and two databases spilling into one folder overwrite each other's files.
        # DuckDB creates the folder when it first spills and removes it when the database closes.
        spill = Path(tempfile.gettempdir()) / "hubecon-duckdb"
        spill.mkdir(exist_ok=True)
        con.raw_sql(f"SET temp_directory = '{spill / unique_name('spill')}'")
        limit = os.environ.get(MEMORY_LIMIT_ENV) or default_memory_limit()
        if limit:
            try:
                con.raw_sql(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
            except duckdb.Error as exc:
                raise HubeconError(f"${MEMORY_LIMIT_ENV}: '{limit}' is not a memory size such as 2GB or 800MB ({str(exc).splitlines()[0]})") from None
        return con
    return _spark_backend_class()().connect(spark_session())


def available_memory() -> int | None:
    """The RAM, or the container's memory limit where that is lower; None where the system does not say."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows) or no such name
        return None
    for limit_file in CGROUP_MEMORY_LIMITS:
        try:
            limit = limit_file.read_text().strip()
        except OSError:
            continue
        if limit.isdigit():  # "max": no limit
            memory = min(memory, int(limit))
    return memory


def default_memory_limit() -> str | None:
    """What the DuckDB engine holds unless $HUBECON_MEMORY_LIMIT says: an eighth of the available memory, at least
    1 GiB (None where that is unknown: DuckDB's own default then)."""
    memory = available_memory()
    return None if memory is None else f"{max(memory // DEFAULT_MEMORY_FRACTION, 2**30) // 2**20}MiB"


def spark_session():
    """The process's SparkSession, started on first use: master from $HUBECON_SPARK_MASTER, time zone UTC."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise HubeconError("--engine spark needs PySpark: pip install 'hubecon[spark]' (and Java 17)") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        active.conf.set("spark.sql.session.timeZone", "UTC")
        return active
    builder = SparkSession.builder.master(os.environ.get(SPARK_MASTER_ENV) or DEFAULT_SPARK_MASTER).appName("hubecon")
    for key, value in SPARK_CONFIG.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Java missing, master unreachable: say which
        raise HubeconError(f"--engine spark: could not start a Spark session ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


@ibis.udf.scalar.builtin(name="unix_micros")
def _unix_micros(moment: dt.Timestamp(timezone="UTC")) -> dt.int64:
    """Microseconds since 1970 of a UTC moment: Spark's UNIX_MICROS, DuckDB's EPOCH_US."""


def epoch_seconds(moment: ibis.Column) -> ibis.Column:
    """Seconds since 1970 of a UTC timestamp column.

    Ibis's own `epoch_seconds` compiles, on DuckDB, to a cast to a naive
    timestamp first, done per row through the time-zone library: over
    millions of rows those casts were most of a history's build time.
    """
    return _unix_micros(moment) / 1_000_000


def engine_name(con: ibis.BaseBackend) -> str:
    return "spark" if con.name == "pyspark" else "duckdb"


def register_parquet(con: ibis.BaseBackend, name: str, files: list[Path], schema: pa.Schema | None = None) -> ibis.Table:
    """A table `name` over Parquet files read in place (only when a query needs them), columns matched by name.

    `schema` (default: the first file's) is the columns read; Spark is given
    it rather than inferring one from every file.
    """
    paths = [str(file) for file in files]
    if engine_name(con) == "duckdb":
        return con.read_parquet(paths, table_name=name, union_by_name=True)
    from ibis.backends.pyspark.datatypes import PySparkSchema

    schema = schema if schema is not None else pq.read_schema(paths[0])
    frame = con._session.read.schema(PySparkSchema.from_ibis(ibis.Schema.from_pyarrow(schema))).parquet(*paths)
    frame.createOrReplaceTempView(name)
    return con.table(name)


def materialise(con: ibis.BaseBackend, names: list[str]) -> None:
    """Compute views once and keep their rows, where the engine would recompute them per query.

    The view keeps its name, so queries written against it are unchanged. On
    DuckDB it reads a table of the rows; Spark cannot match a cached view whose
    SQL has common table expressions, so there the view is replaced by a
    checkpoint of its rows instead.
    """
    for name in names:
        if engine_name(con) == "spark":
            con._session.table(name).localCheckpoint(eager=True).createOrReplaceTempView(name)
        else:
            con.raw_sql(f'CREATE OR REPLACE TABLE "{name}__rows" AS SELECT * FROM "{name}"')
            con.raw_sql(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM "{name}__rows"')


def register_arrow(con: ibis.BaseBackend, name: str, table: pa.Table) -> ibis.Table:
    """A table `name` holding an Arrow table's rows (small tables: catalogues, embedded snapshots)."""
    if engine_name(con) == "duckdb":
        return con.create_table(name, obj=table, overwrite=True)
    return con.create_view(name, ibis.memtable(table), overwrite=True)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def as_utc(value):
    """Engine results in one form: naive timestamps (both engines' sessions run in UTC) as UTC, arrays as lists."""
    if isinstance(value, pd.DataFrame):
        for column in value.columns:
            value[column] = as_utc(value[column])
        return value
    if isinstance(value, pd.Series):
        if pd.api.types.is_datetime64_dtype(value.dtype) and getattr(value.dtype, "tz", None) is None:
            return value.dt.tz_localize("UTC")
        if value.dtype == object and value.map(lambda item: isinstance(item, np.ndarray)).any():
            return value.map(lambda item: item.tolist() if isinstance(item, np.ndarray) else item)
        return value
    if isinstance(value, pd.Timestamp) and value.tzinfo is None:
        return value.tz_localize("UTC")
    return value


class DuckDBBackend(ibis.backends.duckdb.Backend):
    """Ibis's DuckDB backend, handing a table's result to pandas through Arrow in one piece.

    Ibis's own conversion first turns every column that holds a null into Python objects: at 1M models
    × 52 snapshots the export panel's 8.9M rows took 6 s longer to fetch that way, and a sum it could not
    convert came back as Decimal objects where a null sat beside it. Results take the form `as_utc`
    describes, read off the Arrow schema rather than checked value by value. A column or scalar result,
    small, keeps Ibis's own conversion.
    """

    def execute(self, expr, /, **kwargs):
        if not isinstance(expr, ibis.Table) or kwargs:
            return super().execute(expr, **kwargs)
        table = self.to_pyarrow(expr)
        frame = table.to_pandas()
        for field in table.schema:
            if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
                frame[field.name] = pd.Series(table.column(field.name).to_pylist(), index=frame.index, dtype=object)
            elif pa.types.is_timestamp(field.type) and field.type.tz is None:
                frame[field.name] = frame[field.name].dt.tz_localize("UTC")
        return frame


@functools.cache
def _spark_backend_class():
    from ibis.backends.pyspark import Backend

    ibis.pyspark  # noqa: B018 (loading the backend through ibis registers its options, e.g. options.pyspark)
    class SparkBackend(Backend):
        """Ibis's PySpark backend, returning results in the same form as DuckDB's (see `as_utc`)."""

        def execute(self, expr, /, **kwargs):
            return as_utc(super().execute(expr, **kwargs))

        def _register_in_memory_table(self, op) -> None:
            # As ibis does, but with missing text as None: pandas 3 keeps it as NaN in Arrow-backed
            # string columns, which PySpark 3.5 can neither ship through Arrow nor read as null.
            from ibis.backends.pyspark.datatypes import PySparkSchema

            data = op.data.to_frame()
            for column in data.columns:
                if isinstance(data[column].dtype, pd.StringDtype) or data[column].dtype == object:
                    data[column] = data[column].astype(object).where(data[column].notna(), None)
            frame = self._session.createDataFrame(data, schema=PySparkSchema.from_ibis(op.schema), verifySchema=False)
            frame.createOrReplaceTempView(op.name)

        def _create_cached_table(self, name, expr):
            # Ibis's PySpark backend caches without registering the in-memory tables the expression reads.
            self._run_pre_execute_hooks(expr)
            return super()._create_cached_table(name, expr)

    return SparkBackend


def __getattr__(name: str):
    # PySpark is optional: the backend class is only built when Spark is asked for.
    if name == "SparkBackend":
        return _spark_backend_class()
    raise AttributeError(name)
