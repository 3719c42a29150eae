"""The README's pictures: each one it shows exists, and no picture lies unused beside them."""

from __future__ import annotations

from tests.helpers.shots import SCREENSHOTS, shown_in_readme

#: the window sizes and themes the README must show (the small window, and the dark theme)
REQUIRED_VARIANTS = ("-1024x700-light.png", "-1024x700-dark.png", "-1600x1000-dark.png")


def test_every_picture_the_readme_shows_is_there_and_none_other() -> None:
    shown = shown_in_readme()
    stored = {p.name for p in SCREENSHOTS.glob("*.png")}
    assert shown - stored == set(), "the README shows pictures that are missing"
    assert stored - shown == set(), "pictures nobody looks at: delete them or show them"


def test_the_readme_shows_the_small_window_and_the_dark_theme() -> None:
    shown = shown_in_readme()
    for variant in REQUIRED_VARIANTS:
        assert any(name.endswith(variant) for name in shown), variant


def test_the_pictures_stay_small() -> None:
    sizes = {p.name: p.stat().st_size for p in SCREENSHOTS.glob("*.png")}
    assert all(size < 150_000 for size in sizes.values()), sizes
