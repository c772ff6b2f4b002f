"""Writes the installable app's PNG icons from static/img/logo.svg, drawn by Debian's Chromium.

The PNGs are committed; run `.venv/bin/python scripts/app_icons.py` again after changing the logo.
Chromium draws the SVG itself, so the icons are the logo the page shows, not a redrawing of it:
  icon-192/512.png           the logo as it is (rounded corners, transparent outside)
  icon-maskable-192/512.png  the same colours edge to edge with the bubble inside the 80 % safe
                             circle, for launchers that cut icons into their own shape
  badge-96.png               the bubble alone in white on transparent: Android draws the status
                             bar badge from its alpha channel only
"""

import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

IMG = Path(__file__).resolve().parents[1] / "static" / "img"
CHROMIUM = "/usr/bin/chromium"


def variants(logo: str) -> dict[str, tuple[int, str]]:
    inner = re.search(r"<path.*</svg>", logo, re.DOTALL)
    assert inner, "logo.svg changed shape: update scripts/app_icons.py"
    bubble = inner.group(0).removesuffix("</svg>")
    defs = re.search(r"<defs>.*</defs>", logo, re.DOTALL)
    assert defs
    square = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'{defs.group(0)}<rect width="64" height="64" fill="url(#g)"/>'
        f'<g transform="translate(32 34) scale(0.78) translate(-32 -34)">{bubble}</g></svg>'
    )
    badge = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<g transform="translate(32 34) scale(1.5) translate(-32 -34)">{bubble}</g></svg>'
    )
    return {
        "icon-192.png": (192, logo),
        "icon-512.png": (512, logo),
        "icon-maskable-192.png": (192, square),
        "icon-maskable-512.png": (512, square),
        "badge-96.png": (96, badge),
    }


def main() -> None:
    logo = (IMG / "logo.svg").read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        for name, (size, svg) in variants(logo).items():
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(
                "<style>html,body{margin:0;background:transparent}svg{display:block;width:100vw;height:100vh}</style>"
                + svg
            )
            page.screenshot(path=str(IMG / name), omit_background=True)
            page.close()
            # A 256-colour palette (alpha kept): a quarter of the size, no visible banding at these sizes.
            with Image.open(IMG / name) as image:
                image.quantize(256, method=Image.Quantize.FASTOCTREE).save(IMG / name, optimize=True)
            print(f"wrote static/img/{name}")
        browser.close()


if __name__ == "__main__":
    main()
