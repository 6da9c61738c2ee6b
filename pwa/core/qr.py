"""A QR code as inline SVG, for the links a screen shows to another device or prints on paper
(a phone's link code, a centre's invitation for a parent)."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(data: str, label: str) -> Markup:
    """The picture is one image for screen readers, named by `label`; the SVG itself is hidden
    from them (its paths mean nothing read out)."""
    svg = segno.make(data, error="m").svg_inline(scale=6, border=2, dark="#1f2d3d", light="#fff")
    svg = svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
    return Markup('<div class="qr" role="img" aria-label="{}">{}</div>').format(label, Markup(svg))
