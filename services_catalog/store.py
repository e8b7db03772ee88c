"""The imported catalogue in SQL (SQLite or PostgreSQL, the same code).

`import_catalog` replaces the whole stored catalogue in one transaction: the old rows are deleted
and the new ones inserted together, so a failure anywhere leaves the previous catalogue as it was.
The one-row `catalog_meta` table counts imports (`version`), so readers can tell when it changed.

Tables are created by `services_catalog.db.create_tables(engine)`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import JSON, Column, Connection, Engine, Table, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Field, Session, SQLModel, col, delete, select

from services_catalog.catalog import Catalog
from services_catalog.db import WRITE_LOCK
from services_catalog.export import COORD_DECIMALS, date_text
from services_catalog.models import Precision

META_ID = 1  # catalog_meta has exactly one row, with this id


class CatalogMeta(SQLModel, table=True):
    """Which catalogue is stored: how many times one was imported, when, from where, how big."""

    __tablename__ = "catalog_meta"

    id: int = Field(default=META_ID, primary_key=True)
    version: int  # 1 for the first import, +1 for every import since
    loaded_at: dt.datetime  # when the catalogue was read from YAML (UTC)
    imported_at: dt.datetime  # when it was written here (UTC)
    source: str  # the folder it was read from
    towns: int
    facilities: int
    services: int
    indicators: int
    committees: int
    stations: int


class CatalogContent(SQLModel, table=True):
    """What the stored catalogue's YAML files were: their hash, to tell a start-up whether its own
    folder is what the store holds (a table of its own: stores made before it need no migration)."""

    __tablename__ = "catalog_content"

    id: int = Field(default=META_ID, primary_key=True)
    version: int  # the catalog_meta version this hash belongs to
    content_hash: str = Field(max_length=64)  # SHA-256 of the folder's files, as `Catalog.content_hash`


class TownRow(SQLModel, table=True):
    """One of Qingpu's towns."""

    __tablename__ = "catalog_town"

    name: str = Field(primary_key=True, max_length=64)
    position: int  # order in the YAML
    name_en: str
    code: str = Field(unique=True, max_length=12)
    lat: float  # centre, WGS-84
    lon: float


class FacilityRow(SQLModel, table=True):
    """A facility with WGS-84 coordinates and the contract export's fields."""

    __tablename__ = "catalog_facility"

    id: str = Field(primary_key=True, max_length=64)
    position: int  # order in the YAML files
    name: str
    name_en: str | None = None
    kind: str = Field(index=True, max_length=32)
    town: str = Field(foreign_key="catalog_town.name", index=True, max_length=64)
    level: str = Field(max_length=16)
    lat: float  # WGS-84
    lon: float
    approximate: bool
    address: str | None = None
    phone: str | None = None
    opening_hours: str | None = None
    hours_status: str = Field(max_length=16)
    holidays: str = Field(max_length=32)
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    website: str | None = None
    source: str
    verified: dt.date | None = None


class ServiceRow(SQLModel, table=True):
    """A service topic."""

    __tablename__ = "catalog_service"

    id: str = Field(primary_key=True, max_length=64)
    position: int
    name: str
    name_en: str
    summary: str
    where: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    online: str | None = None
    hotline: str | None = None
    source: str


class IndicatorRow(SQLModel, table=True):
    """One row of the plan's indicator table, as printed."""

    __tablename__ = "catalog_indicator"

    id: str = Field(primary_key=True, max_length=64)
    row: int = Field(unique=True)
    category: str
    name: str
    name_en: str
    unit: str
    nature: str = Field(max_length=8)
    baseline: str
    target: str
    note: str | None = None
    source: str


def _utc(moment: dt.datetime) -> dt.datetime:
    """The same moment in UTC (a naive time is taken to be UTC already)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _rows(catalog: Catalog) -> list[tuple[type[SQLModel], Iterator[dict[str, Any]]]]:
    """Every row for `catalog` as plain values, table by table, towns first (facilities refer to
    them); made one at a time as they are written, never all at once."""
    towns = (
        {
            "name": t.name,
            "position": i,
            "name_en": t.name_en,
            "code": t.code,
            "lat": t.centre.lat,
            "lon": t.centre.lon,
        }
        for i, t in enumerate(catalog.towns.values())
    )
    facilities = (
        {
            "id": f.id,
            "position": i,
            "name": f.name,
            "name_en": f.name_en,
            "kind": f.kind,
            "town": f.town,
            "level": f.level,
            "lat": f.point.lat,
            "lon": f.point.lon,
            "approximate": f.point.precision == Precision.approximate,
            "address": f.address,
            "phone": f.phone,
            "opening_hours": f.opening_hours,
            "hours_status": f.hours_status.value,
            "holidays": f.holidays.value,
            "services": list(f.services),
            "website": f.website,
            "source": f.source,
            "verified": f.verified,
        }
        for i, f in enumerate(catalog.facilities.values())
    )
    services = (
        {
            "id": s.id,
            "position": i,
            "name": s.name,
            "name_en": s.name_en,
            "summary": s.summary,
            "where": list(s.where),
            "online": s.online,
            "hotline": s.hotline,
            "source": s.source,
        }
        for i, s in enumerate(catalog.services.values())
    )
    indicators = (
        {
            "id": x.id,
            "row": x.row,
            "category": x.category,
            "name": x.name,
            "name_en": x.name_en,
            "unit": x.unit,
            "nature": x.nature,
            "baseline": x.baseline,
            "target": x.target,
            "note": x.note,
            "source": x.source,
        }
        for x in catalog.indicators.values()
    )
    return [(TownRow, towns), (FacilityRow, facilities), (ServiceRow, services), (IndicatorRow, indicators)]


def _insert(connection: Connection, table: Table, rows: Iterator[dict[str, Any]]) -> None:
    """Write `rows` into `table` in bulk, in the connection's transaction.

    PostgreSQL: COPY (psycopg), the fastest way in. SQLite: the driver's executemany with plain
    values. Either is several times quicker than SQLAlchemy's executemany at 100,000 rows.
    """
    names = [c.name for c in table.columns]
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    dialect = connection.dialect.name

    def values(row: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for name in names:
            value = row.get(name)
            if name in json_columns:
                value = json.dumps(value, ensure_ascii=False)
            elif dialect == "sqlite" and isinstance(value, dt.date):
                value = value.isoformat()  # how SQLAlchemy's Date keeps a date in SQLite
            out.append(value)
        return tuple(out)

    columns = ", ".join(f'"{name}"' for name in names)
    if dialect == "postgresql":
        translate = connection.get_execution_options().get("schema_translate_map") or {}
        schema = translate.get(None, table.schema)
        qualified = f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'
        statement = f"COPY {qualified} ({columns}) FROM STDIN"
        driver = connection.connection.driver_connection
        assert driver is not None
        dbapi = connection.dialect.loaded_dbapi
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(values(row))
        except dbapi.Error as err:  # as SQLAlchemy would raise it (IntegrityError, ...)
            raise DBAPIError.instance(statement, None, err, dbapi.Error) from err
        return
    marks = ", ".join("?" for _ in names)
    sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})'
    while chunk := [values(row) for row in itertools.islice(rows, _CHUNK)]:
        connection.exec_driver_sql(sql, chunk)


_CHUNK = 5_000  # rows per INSERT: bounded memory and statement size at 100,000 facilities
_IMPORT_LOCK = 0x646F6F72  # PostgreSQL advisory lock key ("door"): one import at a time


def _write_lock(session: Session) -> None:
    """Make concurrent imports wait for each other, so versions count up one by one.

    PostgreSQL: a transaction-level advisory lock (the meta row may not exist yet to lock).
    SQLite: the session's engine begins with BEGIN IMMEDIATE (`db.WRITE_LOCK`), which takes the
    database's write lock before the version is read.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK})


def import_catalog(catalog: Catalog, *, engine: Engine) -> int:
    """Replace the stored catalogue with `catalog` in one transaction; the new version number.

    If anything fails (a row breaking a constraint, a broken catalogue object, the database going
    away), the transaction is rolled back and the previous catalogue stays exactly as it was.
    Imports running at once (two staff reloads, several processes) wait for each other: each gets
    its own version, one more than the one before, and the meta row always describes the rows.
    """
    with Session(engine.execution_options(**{WRITE_LOCK: True})) as session, session.begin():
        _write_lock(session)
        meta = session.exec(select(CatalogMeta).where(CatalogMeta.id == META_ID).with_for_update()).first()
        version = (meta.version if meta else 0) + 1
        for table in (FacilityRow, ServiceRow, IndicatorRow):
            session.exec(delete(table))
        connection = session.connection()
        for model, rows in _rows(catalog):  # towns first: facilities refer to them
            if model is TownRow:
                # Towns are updated in place, and only those gone are deleted: deleting a town
                # makes PostgreSQL look for facilities still naming it among the 100,000 rows just
                # deleted, which took seconds.
                towns = list(rows)
                names = [town["name"] for town in towns]
                session.exec(delete(TownRow).where(col(TownRow.name).not_in(names)))
                for town in towns:
                    session.merge(TownRow(**town))
                session.flush()
                continue
            _insert(connection, SQLModel.metadata.tables[str(model.__tablename__)], rows)
        counts: dict[str, Any] = {
            "version": version,
            "loaded_at": _utc(catalog.loaded_at),
            "imported_at": dt.datetime.now(dt.UTC),
            "source": str(catalog.source),
            "towns": len(catalog.towns),
            "facilities": len(catalog.facilities),
            "services": len(catalog.services),
            "indicators": len(catalog.indicators),
            "committees": len(catalog.committees),
            "stations": len(catalog.stations),
        }
        if meta is None:
            session.add(CatalogMeta(id=META_ID, **counts))
        else:
            for key, value in counts.items():
                setattr(meta, key, value)
            session.add(meta)
        session.merge(CatalogContent(id=META_ID, version=version, content_hash=catalog.content_hash))
    return version


def stored_content_hash(*, engine: Engine) -> str | None:
    """The content hash of the stored catalogue's files, or None when unknown."""
    with Session(engine) as session:
        meta = session.get(CatalogMeta, META_ID)
        content = session.get(CatalogContent, META_ID)
        if meta is None or content is None or content.version != meta.version:
            return None
        return content.content_hash


def stored_version(*, engine: Engine) -> int | None:
    """The version of the stored catalogue, or None when none was ever imported."""
    with Session(engine) as session:
        meta = session.get(CatalogMeta, META_ID)
        return meta.version if meta else None


def stored_meta(*, engine: Engine) -> CatalogMeta | None:
    """The stored catalogue's meta row (version, when, from where, counts), or None."""
    with Session(engine) as session:
        return session.get(CatalogMeta, META_ID)


def read_export(*, engine: Engine) -> dict[str, Any]:
    """The stored catalogue in the contract's export shape (as `export.export_catalog` gives it)."""
    with Session(engine) as session:
        facilities = session.exec(select(FacilityRow).order_by(col(FacilityRow.position))).all()
        services = session.exec(select(ServiceRow).order_by(col(ServiceRow.position))).all()
        indicators = session.exec(select(IndicatorRow).order_by(col(IndicatorRow.row))).all()
        return {
            "facilities": [
                {
                    "id": f.id,
                    "name": f.name,
                    "kind": f.kind,
                    "town": f.town,
                    "lat": round(f.lat, COORD_DECIMALS),
                    "lon": round(f.lon, COORD_DECIMALS),
                    "address": f.address,
                    "phone": f.phone,
                    "opening_hours": f.opening_hours,
                    "source": f.source,
                    "verified": date_text(f.verified),
                    "approximate": f.approximate,
                    "hours_status": f.hours_status,
                }
                for f in facilities
            ],
            "services": [{"id": s.id, "name": s.name} for s in services],
            "indicators": [
                {
                    "id": i.id,
                    "name": i.name,
                    "unit": i.unit,
                    "baseline": i.baseline,
                    "target": i.target,
                    "row": i.row,
                    "category": i.category,
                    "nature": i.nature,
                    "note": i.note,
                }
                for i in indicators
            ],
        }
