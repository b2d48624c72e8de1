"""CSDesk's colours, written once for the charts (screen and documents) and the widgets.

Hex strings ("#RRGGBB"); the widgets make QColors of them. A band has three
shades: ``BAND`` for marks, lines and bars, ``BAND_TEXT`` for its text (and
for a chip with white text) and ``BAND_FILL`` for a background behind it.
"""

from __future__ import annotations

BAND = {"green": "#2E9E5B", "yellow": "#E3A81B", "red": "#D64545"}
BAND_TEXT = {"green": "#1F7A45", "yellow": "#8A5A00", "red": "#B42318"}
BAND_FILL = {"green": "#E3F4EA", "yellow": "#FDF3DC", "red": "#FBE5E5"}
# No score (no data): grey, never a band's colour.
NO_BAND = "#A0A7B0"
NO_BAND_TEXT = "#5D6675"
NO_BAND_FILL = "#ECEFF3"

# NPS groups: text in a table, and the stacked bars of a chart.
NPS_TEXT = {"promoter": BAND_TEXT["green"], "passive": BAND_TEXT["yellow"], "detractor": BAND_TEXT["red"]}
NPS_FILL = {"promoter": "#BFE3CC", "passive": "#F7E2AE", "detractor": "#F3C1C1"}

INK = "#26313D"
MUTED = "#6B7785"
ACCENT = "#2F6DB5"
GRID = "#E4E8EE"
UP = BAND_TEXT["green"]  # a change for the better, as text
DOWN = BAND_TEXT["red"]  # a change for the worse, as text


def points_colour(points: float | None) -> str:
    """A health component's points (0-10) as a band's colour: 8 and up green, 6 and up yellow."""
    if points is None:
        return NO_BAND
    return BAND["green"] if points >= 8 else BAND["yellow"] if points >= 6 else BAND["red"]
