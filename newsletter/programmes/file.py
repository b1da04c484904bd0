"""programmes.yaml: the site's own beside feeds.yaml, else the one we ship.

The owner defines programmes there, without touching code: each a key, a title, a
summary, the safety note every step carries and its steps (the exercise each features,
days after the one before, sets, how often, an introduction). The file is checked like
exercises.yaml: an unknown key, a missing field, a key used twice, an exercise the
catalog does not have, a delay that would send two programme emails the same day, a
template with no file are refused with the file, the line and what to write instead.
``programmes: []`` is a site with none.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Sequence
from pathlib import Path

import yaml

from newsletter.config.nodes import Doc, load_doc
from newsletter.config.shipped import shipped_file, site_file
from newsletter.digest.catalog import SLUG, catalog_path, load_catalog
from newsletter.errors import BadInput
from newsletter.programmes.model import Programme, Step
from newsletter.templating import default_templates_dir, template_folders

PROGRAMMES_FILE = "programmes.yaml"
PROGRAMME_FIELDS = ("key", "title", "summary", "safety", "steps")
PROGRAMME_OPTIONAL = ("template",)
STEP_FIELDS = ("exercise", "after_days", "sets", "how_often")
STEP_OPTIONAL = ("words", "subject", "template")
# The columns' and a subject line's sizes; a step's words stay an email's worth.
MAX_LENGTHS = {
    "key": 100,
    "exercise": 100,
    "title": 200,
    "summary": 500,
    "safety": 1000,
    "sets": 200,
    "how_often": 100,
    "words": 3000,
    "subject": 200,
    "template": 100,
}
MAX_STEPS = 60  # more than a year of weekly steps
MAX_PROGRAMMES = 20
MAX_AFTER_DAYS = 365
TEMPLATE_NAME = re.compile(r"[a-z0-9_]+(?:-[a-z0-9_]+)*")  # a file name, never a path


def programmes_path(site_root: Path) -> Path:
    """The site's own programmes when it has them, else the default shipped in the package."""
    return site_file(site_root, PROGRAMMES_FILE)


def default_programmes_path() -> Path:
    """The wheel carries it as newsletter/_data/programmes.yaml; a checkout has it at the top."""
    return shipped_file(PROGRAMMES_FILE)


def programmes_version(site_root: Path) -> tuple[tuple[str, int, int], ...]:
    """Which files :func:`load_site_programmes` reads and how they stand (path, change
    time, size): when it differs, the programmes may have changed. A file that is not
    there stands as (path, 0, -1)."""
    version = []
    for path in (programmes_path(site_root), catalog_path(site_root)):
        try:
            found = path.stat()
        except OSError:
            version.append((str(path), 0, -1))
        else:
            version.append((str(path), found.st_mtime_ns, found.st_size))
    return tuple(version)


def load_site_programmes(site_root: Path) -> tuple[Programme, ...]:
    """The site's programmes (its own file, else ours), checked against its exercise
    catalog and its templates; ConfigError names the file and line of a mistake."""
    slugs = [exercise.slug for exercise in load_catalog(catalog_path(site_root))]
    return load_programmes(programmes_path(site_root), slugs, template_folders(site_root))


def programme_by_key(programmes: Sequence[Programme], key: str) -> Programme:
    """The programme ``key``; BadInput names those there are."""
    for programme in programmes:
        if programme.key == key:
            return programme
    known = ", ".join(p.key for p in programmes) or "none (its programmes.yaml has none)"
    guess = difflib.get_close_matches(key, [p.key for p in programmes], n=1)
    hint = f"did you mean '{guess[0]}'? " if guess else ""
    raise BadInput(f"no programme '{key}'; {hint}the site's programmes: {known}")


def load_programmes(
    path: Path,
    exercise_slugs: Collection[str],
    templates: Sequence[Path] | None = None,
) -> tuple[Programme, ...]:
    """Read and check the whole file; raise ConfigError naming the line of a mistake.
    ``exercise_slugs``: the catalog's; ``templates``: the folders a step's template is
    looked for in, the site's own first (default: the shipped ones only)."""
    doc = load_doc(path, needs="'programmes:' and a list (or programmes: [] for none)")
    top = doc.mapping(doc.root, "the top level", ("programmes",), required=("programmes",))
    items = doc.sequence(top["programmes"], "programmes")
    if len(items) > MAX_PROGRAMMES:
        raise doc.error(items[MAX_PROGRAMMES], f"more than {MAX_PROGRAMMES} programmes")
    reader = _Reader(doc, exercise_slugs, templates or [default_templates_dir()])
    seen: dict[str, int] = {}
    programmes = []
    for node in items:
        programme = reader.programme(node)
        if programme.key in seen:
            raise doc.error(
                node,
                f"the key '{programme.key}' is used twice (first on line {seen[programme.key]}); "
                "give each programme its own key",
            )
        seen[programme.key] = programme.line
        programmes.append(programme)
    return tuple(programmes)


class _Reader:
    """Reads programmes of one file against one catalog and one set of template folders."""

    def __init__(self, doc: Doc, exercise_slugs: Collection[str], templates: Sequence[Path]):
        self.doc = doc
        self.slugs = tuple(exercise_slugs)
        self.templates = tuple(templates)

    def programme(self, node: yaml.Node) -> Programme:
        doc = self.doc
        keys = doc.mapping(
            node, "a programme", (*PROGRAMME_FIELDS, *PROGRAMME_OPTIONAL), PROGRAMME_FIELDS
        )
        key = self.text(keys["key"], "key")
        if not SLUG.fullmatch(key):
            raise doc.error(
                keys["key"],
                f"key '{key}' must be lowercase letters, digits and dashes, like stronger-feet",
            )
        where = f"programme '{key}'"
        title = self.text(keys["title"], "title", where)
        template = self.template(keys.get("template")) or Programme.template
        steps = doc.sequence(keys["steps"], f"the steps of {where}")
        if not steps:
            raise doc.error(keys["steps"], f"{where} has no steps; list at least one")
        if len(steps) > MAX_STEPS:
            raise doc.error(steps[MAX_STEPS], f"{where} has more than {MAX_STEPS} steps")
        return Programme(
            key=key,
            title=title,
            summary=self.text(keys["summary"], "summary", where),
            safety=self.text(keys["safety"], "safety", where),
            steps=tuple(self.step(n, where, number) for number, n in enumerate(steps, 1)),
            template=template,
            line=node.start_mark.line + 1,
        )

    def step(self, node: yaml.Node, programme: str, number: int) -> Step:
        doc = self.doc
        where = f"step {number} of {programme}"
        keys = doc.mapping(node, where, (*STEP_FIELDS, *STEP_OPTIONAL), STEP_FIELDS)
        least = 0 if number == 1 else 1
        after_days = doc.integer(
            keys["after_days"], f"after_days of {where}", least, MAX_AFTER_DAYS
        )
        return Step(
            exercise=self.exercise(keys["exercise"], where),
            after_days=after_days,
            sets=self.text(keys["sets"], "sets", where),
            how_often=self.text(keys["how_often"], "how_often", where),
            words=self.words(keys["words"], where) if "words" in keys else "",
            subject=self.text(keys["subject"], "subject", where) if "subject" in keys else None,
            template=self.template(keys.get("template")),
            line=node.start_mark.line + 1,
        )

    def exercise(self, node: yaml.Node, where: str) -> str:
        slug = self.text(node, "exercise", where)
        if slug in self.slugs:
            return slug
        guess = difflib.get_close_matches(slug, self.slugs, n=1)
        hint = f"did you mean '{guess[0]}'?" if guess else f"write one of: {', '.join(self.slugs)}"
        raise self.doc.error(
            node, f"the exercise '{slug}' of {where} is not in the exercise catalog; {hint}"
        )

    def template(self, node: yaml.Node | None) -> str | None:
        """A template's name, when one is given, once its two files are found."""
        if node is None:
            return None
        name = self.text(node, "template")
        if not TEMPLATE_NAME.fullmatch(name):
            raise self.doc.error(
                node,
                f"template '{name}' must be a file name without its ending, like programme_step",
            )
        missing = [
            f"email/{name}.{ending}"
            for ending in ("html", "txt")
            if not any(
                (folder / "email" / f"{name}.{ending}").is_file() for folder in self.templates
            )
        ]
        if missing:
            raise self.doc.error(
                node,
                f"template '{name}' needs {' and '.join(missing)} in the site's templates/; "
                "add the file or leave template out",
            )
        return name

    def text(self, node: yaml.Node, name: str, where: str = "") -> str:
        """One paragraph: folded blocks (>) keep a final newline and may wrap."""
        value = " ".join(self.doc.text(node, _of(name, where)).split())
        self.limit(node, name, value, where)
        return value

    def words(self, node: yaml.Node, where: str) -> str:
        """Paragraphs, split by a blank line in the file; each one single-spaced."""
        value = self.doc.text(node, _of("words", where), limit=10 * MAX_LENGTHS["words"])
        # A literal block (|) keeps its line breaks: a blank line ends a paragraph. Folded
        # (>) and plain text have already turned a blank line into one line break.
        breaks = r"\n\s*\n" if getattr(node, "style", None) == "|" else r"\n"
        paragraphs = (" ".join(p.split()) for p in re.split(breaks, value))
        joined = "\n\n".join(p for p in paragraphs if p)
        self.limit(node, "words", joined, where)
        return joined

    def limit(self, node: yaml.Node, name: str, value: str, where: str) -> None:
        limit = MAX_LENGTHS[name]
        if len(value) > limit:
            raise self.doc.error(
                node, f"{_of(name, where)} is {len(value)} characters long; keep it under {limit}"
            )


def _of(name: str, where: str) -> str:
    return f"{name} of {where}" if where else name
