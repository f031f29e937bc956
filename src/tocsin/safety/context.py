"""What the screen needs to know about who is calling: the organization's home country and the
countries it has enabled, and the platform's sanctions list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tocsin.safety.tables.sanctions import DEFAULT_SANCTIONED_REGIONS


@dataclass(frozen=True)
class ScreeningContext:
    """`home_region` None means no home: every country counts as allowed (the platform view).

    International calling is off unless `international_enabled`; then only the countries in
    `allowed_regions` may be called. None of this can lift a platform block.
    """

    home_region: str | None = None
    international_enabled: bool = False
    allowed_regions: frozenset[str] = frozenset()
    sanctioned_regions: frozenset[str] = DEFAULT_SANCTIONED_REGIONS

    def __post_init__(self) -> None:
        # Verdicts are cached by context, so a context must hash: a set passed at run time,
        # whatever the annotation says, becomes a frozenset here rather than an error at dial time.
        object.__setattr__(self, "allowed_regions", frozenset(self.allowed_regions))
        object.__setattr__(self, "sanctioned_regions", frozenset(self.sanctioned_regions))


PLATFORM_CONTEXT = ScreeningContext()


def organization_context(
    *,
    home_region: str,
    international_enabled: bool = False,
    allowed_regions: Iterable[str] = (),
    sanctioned_regions: frozenset[str] = DEFAULT_SANCTIONED_REGIONS,
) -> ScreeningContext:
    """An organization's view. `sanctioned_regions` is platform configuration, passed through
    for the operator; it is not an organization setting."""
    return ScreeningContext(
        home_region=home_region.upper(),
        international_enabled=international_enabled,
        allowed_regions=frozenset(region.upper() for region in allowed_regions),
        sanctioned_regions=sanctioned_regions,
    )
