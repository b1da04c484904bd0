"""Draw a Picture as SVG: the start pose faint, the end pose solid, an arrow between.

Colours are presentation attributes, so a renderer without the site's CSS (the PNG for
email) draws the light look; the site's CSS overrides them by class for dark mode and
animates the two poses (classes pic-start and pic-end). Numbers are rounded to one
decimal so the text is stable for the golden tests.
"""

from __future__ import annotations

from html import escape

from newsletter.pictures.model import (
    GROUND,
    STEP_TOP,
    Figure,
    Foot,
    Mark,
    Path,
    Picture,
    Point,
    Pose,
    Posture,
    Prop,
    View,
    body,
    close_up,
)

WIDTH, HEIGHT = 240, 170
INK = "#1d2733"
ACCENT = "#1f6fb2"
FAINT = "#9aa6b2"
FLOOR = "#c4ccd4"
# By role, as the palette names them (--pic-ink, …): the site's CSS and the PNG for email
# recolour by these values (templates/web/palette.css holds the same ones, light).
COLOURS = {"ink": INK, "faint": FAINT, "accent": ACCENT, "floor": FLOOR}
ROUND = {"stroke-linecap": "round", "stroke-linejoin": "round"}


def render(picture: Picture, ident: str) -> str:
    """The SVG text; ``ident`` makes the ids unique within a page of pictures."""
    title_id = f"pic-{ident}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" class="pic" role="img" '
        f'aria-labelledby="{title_id}">',
        f'<title id="{title_id}">{escape(picture.says)}</title>',
        _arrow_head(ident),
        _scenery(picture),
        _pose(picture, picture.start, "pic-start", FAINT),
        _pose(picture, picture.end, "pic-end", INK),
        _path(picture, ident),
        "</svg>",
    ]
    return "".join(parts)


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _pts(points: tuple[Point, ...] | list[Point]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def _el(tag: str, attrs: dict[str, str | float]) -> str:
    text = " ".join(
        f'{key}="{_n(value) if isinstance(value, float | int) else value}"'
        for key, value in attrs.items()
    )
    return f"<{tag} {text}/>"


def _line(points: list[Point] | tuple[Point, ...], colour: str, width: float, **extra: str) -> str:
    attrs: dict[str, str | float] = {"points": _pts(points), "fill": "none", "stroke": colour}
    return _el("polyline", {**attrs, "stroke-width": width, **ROUND, **extra})


def _stroke(d: str, colour: str, width: float, **extra: str) -> str:
    attrs: dict[str, str | float] = {"d": d, "fill": "none", "stroke": colour}
    return _el("path", {**attrs, "stroke-width": width, **ROUND, **extra})


def _scenery(picture: Picture) -> str:
    floor = _line([(8, GROUND), (232, GROUND)], FLOOR, 3, **{"class": "pic-floor"})
    if picture.view is View.BODY and picture.posture in (Posture.SIT, Posture.SIT_LIFT):
        x = 70 if picture.posture is Posture.SIT else 60
        chair: list[tuple[list[Point], float]] = [
            ([(x - 28, 106), (x + 8, 106)], 4.0),
            ([(x - 24, 106), (x - 24, GROUND)], 3.0),
            ([(x + 4, 106), (x + 4, GROUND)], 3.0),
        ]
        return floor + "".join(_line(p, FLOOR, w, **{"class": "pic-floor"}) for p, w in chair)
    if picture.posture is Posture.STEP:
        # The balls of the feet on the step's edge, the heels hanging off behind it.
        step: dict[str, str | float] = {"class": "pic-floor", "x": 134, "y": STEP_TOP}
        size: dict[str, str | float] = {"width": 98, "height": GROUND - STEP_TOP, "fill": FLOOR}
        return floor + _el("rect", {**step, **size})
    return floor


def _pose(picture: Picture, pose: Pose, cls: str, colour: str) -> str:
    if picture.view is View.FOOT:
        foot = close_up(pose)
        shin = _line([foot.ankle, (foot.ankle[0] - 4, 30)], colour, 16)
        return f'<g class="{cls}">{_prop(picture, foot)}{shin}{_foot(foot, colour, 4)}</g>'
    figure = body(picture.posture, pose)
    drawn = _figure(figure, colour) + _prop(picture, figure.foot, figure)
    return f'<g class="{cls}">{drawn}</g>'


def _figure(figure: Figure, colour: str) -> str:
    lines = "".join(_line(line, colour, 6) for line in figure.lines)
    head = _el("circle", {"cx": figure.head[0], "cy": figure.head[1], "r": 10, "fill": colour})
    return head + lines + _foot(figure.foot, colour, 1)


def _foot(foot: Foot, colour: str, scale: float) -> str:
    (hx, hy), (ax, ay), (tx, ty) = foot.heel, foot.ankle, foot.toe
    d = (
        f"M{_n(hx)},{_n(hy)} L{_n(ax - 5 * scale)},{_n(ay)} "
        f"L{_n(ax + 4 * scale)},{_n(ay + scale)} L{_n(tx)},{_n(ty - 2 * scale)} "
        f"L{_n(tx)},{_n(ty)} L{_n(foot.ball[0])},{_n(foot.ball[1])} "
        f"Q{_n(foot.arch_top[0])},{_n(foot.arch_top[1] - 3 * scale)} {_n(hx)},{_n(hy)}Z"
    )
    return _el("path", {"d": d, "fill": colour, "stroke": colour, "stroke-width": 2, **ROUND})


def _prop(picture: Picture, foot: Foot, figure: Figure | None = None) -> str:
    if picture.prop is Prop.MARBLE:
        ball: dict[str, str | float] = {
            "cx": foot.toe[0] + 4,
            "cy": GROUND - 11,
            "r": 9,
            "fill": "none",
        }
        return _el("circle", {**ball, "stroke": ACCENT, "stroke-width": 4})
    if picture.prop is Prop.TOWEL:
        return _towel(foot)
    if picture.prop is Prop.BAND and figure is not None:
        hand = figure.lines[1][-1]
        return _line([hand, (foot.toe[0] + 2, foot.toe[1]), hand], ACCENT, 3)
    return ""


def _towel(foot: Foot) -> str:
    # Flat under the foot when the toes are straight; bunched up in front of curled toes.
    x = foot.toe[0] + 4
    hump = GROUND - (34 if foot.toe[1] > foot.ball[1] + 4 else 2)
    flat = _n(GROUND - 2)
    d = (
        f"M{_n(x - 130)},{flat} L{_n(x - 8)},{flat} "
        f"Q{_n(x + 6)},{_n(hump)} {_n(x + 20)},{flat} L{_n(x + 40)},{flat}"
    )
    return _stroke(d, ACCENT, 4)


def _mark(picture: Picture, pose: Pose) -> Point:
    figure = None if picture.view is View.FOOT else body(picture.posture, pose)
    foot = close_up(pose) if figure is None else figure.foot
    if picture.mark is Mark.HEEL:
        return foot.heel
    if picture.mark is Mark.ARCH:
        return foot.arch_top
    if picture.mark is Mark.KNEE and figure is not None:
        return figure.lines[-1][1]
    return foot.toe


def _path(picture: Picture, ident: str) -> str:
    if picture.path is Path.ALPHABET:
        x, y = _mark(picture, picture.end)
        return _letters(x - 30, y - 62)
    start, end = _mark(picture, picture.start), _mark(picture, picture.end)
    side = -16.0 if picture.mark is Mark.HEEL else 16.0
    arrow = _arrow(start, end, side, ident)
    if picture.path is Path.FORWARD:
        arrow += _head_line([(150, GROUND - 14), (215, GROUND - 14)], ident)
    return arrow


def _arrow_head(ident: str) -> str:
    return (
        f'<defs><marker id="pic-head-{ident}" viewBox="0 0 10 10" refX="5" refY="5" '
        'markerWidth="4" markerHeight="4" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10z" fill="{ACCENT}"/></marker></defs>'
    )


def _arrow(start: Point, end: Point, side: float, ident: str) -> str:
    # Beside the moving point (behind a heel, in front of a toe) so it does not cover the
    # foot, and at least 26 long so a small movement still reads as one.
    (sx, sy), (ex, ey) = (start[0] + side, start[1]), (end[0] + side, end[1])
    mx, my = (sx + ex) / 2, (sy + ey) / 2
    length = max(((ex - sx) ** 2 + (ey - sy) ** 2) ** 0.5, 0.1)
    grow = max(1.0, 26 / length)
    ends = [(mx + (sx - mx) * grow, my + (sy - my) * grow)]
    ends.append((mx + (ex - mx) * grow, my + (ey - my) * grow))
    return _head_line(ends, ident)


def _head_line(points: list[Point], ident: str) -> str:
    marker = {"class": "pic-arrow", "marker-end": f"url(#pic-head-{ident})"}
    return _line(points, ACCENT, 4, **marker)


def _letters(x: float, y: float) -> str:
    # A, B and C drawn as strokes (not text): the toe tracing the alphabet in the air.
    def at(dx: float, dy: float) -> str:
        return f"{_n(x + dx)},{_n(y + dy)}"

    a = f"M{at(0, 30)} L{at(10, 0)} L{at(20, 30)} M{at(5, 16)} L{at(15, 16)}"
    b = (
        f"M{at(28, 30)} L{at(28, 0)} Q{at(44, 0)} {at(44, 7)} Q{at(44, 15)} {at(28, 15)} "
        f"Q{at(46, 15)} {at(46, 22)} Q{at(46, 30)} {at(28, 30)}"
    )
    c = f"M{at(70, 4)} Q{at(54, -4)} {at(53, 15)} Q{at(54, 34)} {at(70, 26)}"
    dashes = {"stroke-dasharray": "6 5"}
    strokes = "".join(_stroke(d, ACCENT, 4, **dashes) for d in (a, b, c))
    return f'<g class="pic-arrow">{strokes}</g>'
