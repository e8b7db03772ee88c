"""The store: the whole catalogue goes in and comes out unchanged, and a failed import changes nothing.

Every test runs on SQLite and on PostgreSQL (`TEST_DATABASE_URL`; skipped without it, except in CI).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from services_catalog.catalog import Catalog
from services_catalog.export import export_catalog
from services_catalog.loader import load_catalog
from services_catalog.store import import_catalog, read_export, stored_meta, stored_version

VALID_CATALOG = Path(__file__).parent / "fixtures" / "catalog" / "valid"
BUNDLED_CATALOG = Path(__file__).parents[2] / "services_catalog" / "data"


@pytest.fixture(scope="module")
def mini() -> Catalog:
    """The valid mini catalogue."""
    return load_catalog(VALID_CATALOG)


def test_nothing_is_stored_before_the_first_import(any_engine: Engine) -> None:
    """A fresh database has no catalogue version."""
    assert stored_version(engine=any_engine) is None
    assert read_export(engine=any_engine) == {"facilities": [], "services": [], "indicators": []}


def test_the_mini_catalogue_round_trips_and_each_import_bumps_the_version(
    any_engine: Engine, mini: Catalog
) -> None:
    """What is read back from the store equals the export of the loaded catalogue."""
    assert import_catalog(mini, engine=any_engine) == 1
    assert import_catalog(mini, engine=any_engine) == 2
    assert stored_version(engine=any_engine) == 2
    assert read_export(engine=any_engine) == export_catalog(mini)
    meta = stored_meta(engine=any_engine)
    assert meta is not None
    assert (meta.towns, meta.facilities, meta.services, meta.source) == (2, 3, 2, str(VALID_CATALOG))


def test_the_whole_bundled_catalogue_round_trips(any_engine: Engine) -> None:
    """Every facility, service and indicator of services_catalog/data survives the store unchanged."""
    catalog = load_catalog(BUNDLED_CATALOG)
    import_catalog(catalog, engine=any_engine)
    assert read_export(engine=any_engine) == export_catalog(catalog)


def test_a_catalogue_breaking_a_constraint_leaves_the_previous_one_intact(
    any_engine: Engine, mini: Catalog
) -> None:
    """Facilities whose town is not stored violate the foreign key: nothing of the import remains."""
    import_catalog(mini, engine=any_engine)
    before = read_export(engine=any_engine)
    townless = dataclasses.replace(mini, towns={})
    with pytest.raises(IntegrityError):
        import_catalog(townless, engine=any_engine)
    assert stored_version(engine=any_engine) == 1
    assert read_export(engine=any_engine) == before


def test_a_failure_between_delete_and_insert_leaves_the_previous_catalogue_intact(
    any_engine: Engine, mini: Catalog
) -> None:
    """A broken catalogue object fails after the old rows were deleted; the deletion is rolled back."""
    import_catalog(mini, engine=any_engine)
    before = read_export(engine=any_engine)
    broken = dataclasses.replace(mini, facilities={"x": None})  # type: ignore[dict-item]
    with pytest.raises(AttributeError):
        import_catalog(broken, engine=any_engine)
    assert stored_version(engine=any_engine) == 1
    assert read_export(engine=any_engine) == before
