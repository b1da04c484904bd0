"""A small figure model: a body seen from the side, or a close-up of one foot.

A pose is a few joint angles (degrees). The model turns a pose into points; svg.py draws
them. Only the foot moves in most exercises, so the body is kept simple and the foot exact:
a standing figure rests on whichever part of the foot is lowest, which is how a heel raise
lifts the whole body and a toe lift keeps the heel down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

Point = tuple[float, float]

GROUND = 150.0  # y of the floor in the 240 x 170 picture
STEP_TOP = 128.0  # y of the step's top for the heel drops


class View(StrEnum):
    BODY = "body"
    FOOT = "foot"


class Posture(StrEnum):
    STAND = "stand"  # standing, feet on the floor
    ONE_LEG = "one-leg"  # standing on the near leg, the far knee lifted
    STEP = "step"  # standing with the balls of the feet on a step's edge
    SIT = "sit"  # on a chair, feet on the floor
    SIT_LIFT = "sit-lift"  # on a chair, one foot held up in the air
    FLOOR = "floor"  # sitting on the floor, legs straight out


@dataclass(frozen=True)
class Pose:
    """Angles in degrees. ankle: + toes up (dorsiflexion), - toes pointed (heel up).
    toes: + toes lifted, - toes curled. arch: 0 flat, 1 lifted. knee: the far knee's lift
    (one-leg stance), 0 to 90."""

    ankle: float = 0.0
    toes: float = 0.0
    arch: float = 0.0
    knee: float = 0.0


@dataclass(frozen=True)
class Foot:
    heel: Point
    ankle: Point
    ball: Point
    toe: Point
    arch_top: Point  # the middle of the sole, raised by the arch


@dataclass(frozen=True)
class Figure:
    """The segments to draw: lines of the body and the near foot."""

    head: Point
    lines: tuple[tuple[Point, ...], ...]  # polylines: torso, arms, legs
    foot: Foot


def rotate(point: Point, centre: Point, degrees: float) -> Point:
    # SVG's y grows downwards: a positive angle turns the toes up (anticlockwise on screen).
    rad = math.radians(-degrees)
    x, y = point[0] - centre[0], point[1] - centre[1]
    return (
        centre[0] + x * math.cos(rad) - y * math.sin(rad),
        centre[1] + x * math.sin(rad) + y * math.cos(rad),
    )


def foot_points(ankle: Point, pose: Pose, scale: float = 1.0) -> Foot:
    """The foot hanging from ``ankle`` at the pose's angles, before it is set on the floor."""
    ax, ay = ankle

    def at(dx: float, dy: float) -> Point:
        return (ax + dx * scale, ay + dy * scale)

    heel, ball, toe = at(-8, 9), at(20, 10), at(29, 10)
    arch_top = at(7, 9 - 5 * pose.arch)
    if pose.toes >= 0:
        toe = rotate(toe, ball, pose.toes)
    else:
        # Curled toes grip the floor: the tip stays down and the knuckles rise.
        curl = math.radians(-pose.toes)
        length = 9 * scale
        toe = (ball[0] + length * math.cos(curl) * 0.6, ball[1])
        ball = (ball[0] - length * 0.2, ball[1] - length * math.sin(curl) * 0.8)
    turned = [rotate(p, ankle, pose.ankle) for p in (heel, ball, toe, arch_top)]
    return Foot(turned[0], ankle, turned[1], turned[2], turned[3])


def shift_foot(foot: Foot, dy: float) -> Foot:
    return Foot(
        *(_down(p, dy) for p in (foot.heel, foot.ankle, foot.ball, foot.toe, foot.arch_top))
    )


def _down(point: Point, dy: float) -> Point:
    return (point[0], point[1] + dy)


def body(posture: Posture, pose: Pose) -> Figure:
    """The whole figure, facing right, for a posture and pose."""
    builder = _BUILDERS[posture]
    return builder(pose)


FOOT = 1.5  # the body's foot is drawn larger than life: it is what the picture is about


def _standing(pose: Pose, ground: float = GROUND, on_ball: bool = False) -> Figure:
    foot = foot_points((110.0, 0.0), pose, FOOT)
    contact = foot.ball[1] if on_ball else max(foot.heel[1], foot.ball[1], foot.toe[1])
    dy = ground - contact
    foot = shift_foot(foot, dy)
    ankle = foot.ankle
    knee = (ankle[0] + 2, ankle[1] - 30)
    hip = (ankle[0] - 1, ankle[1] - 60)
    shoulder = (hip[0] + 2, hip[1] - 38)
    hand = (shoulder[0] + 8, hip[1] - 2)
    lines: list[tuple[Point, ...]] = [
        (hip, shoulder),
        (shoulder, (shoulder[0] + 4, shoulder[1] + 24), hand),
        (hip, knee, ankle),
    ]
    if pose.knee:
        # The far leg: thigh swung forward by `knee` degrees, shin hanging down.
        far_knee = rotate((hip[0], hip[1] + 30), hip, pose.knee)
        far_ankle = (far_knee[0] - 4, far_knee[1] + 28)
        lines.append((hip, far_knee, far_ankle, (far_ankle[0] + 16, far_ankle[1] + 6)))
    head = (shoulder[0] + 2, shoulder[1] - 11)
    return Figure(head, tuple(lines), foot)


def _stand(pose: Pose) -> Figure:
    return _standing(pose)


def _step(pose: Pose) -> Figure:
    return _standing(pose, STEP_TOP, on_ball=True)


def _sit(pose: Pose) -> Figure:
    hip = (70.0, 100.0)
    foot = foot_points((118.0, 0.0), pose, FOOT)
    dy = GROUND - max(foot.heel[1], foot.ball[1], foot.toe[1])
    foot = shift_foot(foot, dy)
    knee = (118.0, 98.0)
    return _seated(hip, knee, foot)


def _sit_lift(pose: Pose) -> Figure:
    hip = (60.0, 100.0)
    knee = (100.0, 98.0)
    foot = foot_points((132.0, 122.0), pose, FOOT)
    return _seated(hip, knee, foot)


def _seated(hip: Point, knee: Point, foot: Foot) -> Figure:
    shoulder = (hip[0] - 6, hip[1] - 48)
    arm = ((shoulder[0] + 10, shoulder[1] + 24), (hip[0] + 18, hip[1] - 4))
    return _side_on(hip, shoulder, arm, knee, foot, head_ahead=3)


def _floor(pose: Pose) -> Figure:
    hip = (50.0, GROUND - 6)
    knee = (100.0, GROUND - 10)
    foot = foot_points((148.0, GROUND - 14), pose, FOOT)
    shoulder = (hip[0] + 8, hip[1] - 48)
    arm = ((shoulder[0] + 20, shoulder[1] + 14), (shoulder[0] + 40, shoulder[1] + 22))
    return _side_on(hip, shoulder, arm, knee, foot, head_ahead=4)


def _side_on(
    hip: Point,
    shoulder: Point,
    arm: tuple[Point, Point],
    knee: Point,
    foot: Foot,
    head_ahead: float,
) -> Figure:
    """A body on the floor or a chair, seen from the side: the back, the near arm (elbow,
    hand), the near leg down to the foot, and the head ``head_ahead`` past the shoulder."""
    lines = ((hip, shoulder), (shoulder, *arm), (hip, knee, foot.ankle))
    return Figure((shoulder[0] + head_ahead, shoulder[1] - 13), lines, foot)


def _one_leg(pose: Pose) -> Figure:
    return _standing(pose)


_BUILDERS = {
    Posture.STAND: _stand,
    Posture.ONE_LEG: _one_leg,
    Posture.STEP: _step,
    Posture.SIT: _sit,
    Posture.SIT_LIFT: _sit_lift,
    Posture.FLOOR: _floor,
}


def close_up(pose: Pose) -> Foot:
    """The foot alone, four times the body's scale, resting on its heel and ball."""
    foot = foot_points((66.0, 0.0), pose, scale=4.0)
    dy = GROUND - max(foot.heel[1], foot.ball[1], foot.toe[1])
    return shift_foot(foot, dy)


class Prop(StrEnum):
    NONE = "none"
    MARBLE = "marble"
    TOWEL = "towel"
    BAND = "band"


class Path(StrEnum):
    ARROW = "arrow"  # one arrow from the start to the end of the marked point
    FORWARD = "forward"  # and an arrow along the floor: walking
    ALPHABET = "alphabet"  # the toe writes letters in the air


class Mark(StrEnum):
    TOE = "toe"
    HEEL = "heel"
    ARCH = "arch"
    KNEE = "knee"


@dataclass(frozen=True)
class Picture:
    """An exercise's picture: how the figure is seen and its two poses."""

    says: str  # the movement in words: the alt text
    view: View
    posture: Posture
    start: Pose
    end: Pose
    mark: Mark = Mark.TOE
    prop: Prop = Prop.NONE
    path: Path = Path.ARROW
