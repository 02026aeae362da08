"""What a rendering process is set up with (:class:`RenderConfig`) and what it tells of a laid-out part
(:class:`PartLayout`): plain values shared by the processes that start the renderers (weasy.py) and the
renderers themselves (partrender.py, which loads WeasyPrint)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class RenderConfig:
    """What every part shares: stylesheets (CSS text, cascade order), base URL, fetcher allowances."""

    stylesheets: tuple[str, ...]
    base_url: str
    allowed_roots: tuple[Path, ...]
    allowed_files: tuple[Path, ...] = ()
    shared_fonts: tuple[str, ...] = ()  # families whose program the joiner embeds once (fontshare.py)


@dataclass(frozen=True)
class PartLayout:
    """A laid-out part: its page count and the page (0-based, within the part) of each anchor."""

    pages: int
    anchors: dict[str, int] = field(default_factory=dict)
