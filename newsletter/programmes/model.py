"""What a programme is, as read from programmes.yaml: plain values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One email of a programme: it adds one exercise to the reader's routine."""

    exercise: str  # the slug of the exercise it features, in the exercise catalog
    # Days after the previous step went out (the first step: after joining, 0 = the day
    # they join). Counted from the day the previous step was actually sent, so a run that
    # did not happen for days delays the programme instead of bunching its emails.
    after_days: int
    sets: str  # how much, e.g. "2 sets of 10 on each foot"
    how_often: str  # e.g. "twice a week"
    words: str = ""  # the step's own introduction (plain text, paragraphs split by a blank line)
    subject: str | None = None  # None: "<programme title>, week N: <exercise name>"
    template: str | None = None  # None: the programme's; else templates/email/<template>.html/.txt
    line: int = 0  # where the step starts in programmes.yaml, for messages


@dataclass(frozen=True)
class Programme:
    """A named sequence of steps a reader may join, pause, leave or restart."""

    key: str  # a slug, unique in the file: it is stored with each reader's enrolment
    title: str  # "Stronger feet in 11 weeks"
    summary: str  # one sentence on what a reader gets, shown where they can join
    safety: str  # the note every step carries (the seed's "see a physical therapist")
    steps: tuple[Step, ...]
    template: str = "programme_step"  # templates/email/<template>.html and .txt
    line: int = 0

    def step(self, number: int) -> Step:
        """Step ``number``, counted from 1 as readers see it."""
        return self.steps[number - 1]

    @property
    def length(self) -> int:
        return len(self.steps)
