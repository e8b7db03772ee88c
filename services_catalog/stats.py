"""A readable summary of a loaded catalogue, for staff (`doorstep catalog stats`)."""

from __future__ import annotations

from collections import Counter

from services_catalog.catalog import Catalog
from services_catalog.models import KIND_IDS, HoursStatus, Precision
from services_catalog.plan_coverage import plan_coverage


def catalog_stats(catalog: Catalog) -> str:
    """A multi-line summary: counts per kind and town, how much is unconfirmed, and how much of the
    plan it answers."""
    facilities = list(catalog.facilities.values())
    per_kind = Counter(f.kind for f in facilities)
    per_town = Counter(f.town for f in facilities)
    verified = sum(1 for f in facilities if f.verified is not None)
    approximate = sum(1 for f in facilities if f.point.precision == Precision.approximate)
    typical = sum(1 for f in facilities if f.opening_hours and f.hours_status == HoursStatus.typical)
    no_hours = sum(1 for f in facilities if not f.opening_hours)
    no_phone = sum(1 for f in facilities if f.phone is None)
    no_address = sum(1 for f in facilities if f.address is None)
    services_verified = sum(1 for s in catalog.services.values() if s.verified is not None)

    width = max((len(k) for k in KIND_IDS), default=0)
    lines = [
        f"Catalogue: {catalog.source}",
        f"Towns: {len(catalog.towns)}",
        f"Committees: {len(catalog.committees)}",
        f"Metro stations: {len(catalog.stations)}",
        f"Landmarks: {len(catalog.landmarks)}",
        f"Facilities: {len(facilities)}",
        "  by kind:",
    ]
    lines += [f"    {kind:<{width}}  {per_kind[kind]}" for kind in KIND_IDS]
    lines.append("  by town:")
    lines += [f"    {town}  {per_town[town]}" for town in catalog.towns]
    lines += [
        f"  verified: {verified}, unverified: {len(facilities) - verified}",
        f"  approximate position: {approximate}",
        f"  typical (unconfirmed) hours: {typical}, no hours: {no_hours}",
        f"  without phone: {no_phone}, without address: {no_address}",
        f"Services: {len(catalog.services)} (verified: {services_verified})",
        f"Plan indicators: {len(catalog.indicators)}",
        plan_coverage(catalog).line(),
        f"Hotlines: {len(catalog.hotlines)}",
        f"Holiday overrides: {len(catalog.holidays)}",
    ]
    if catalog.warnings:
        lines.append(f"Warnings: {len(catalog.warnings)}")
    return "\n".join(lines)
