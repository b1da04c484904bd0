"""/admin/questions: the moderation queue, one question's edit and answer, bulk decisions.
Moderators may use these pages (and only these)."""

from __future__ import annotations

from flask import abort, request
from werkzeug.wrappers import Response as BaseResponse

from newsletter.admin.questions import (
    ANSWER_MAX,
    BODY_MAX,
    Edit,
    bulk,
    edit_changes,
    edit_form,
    save_edit,
    save_notice,
)
from newsletter.questions import InvalidQuestion, NoSuchQuestion, moderate
from newsletter.questions.service import Action
from newsletter.store.entries import EntryStatus
from newsletter.web.admin.base import admin, area, blueprint, done, log, page, store
from newsletter.web.services import services

SHOWN = 100
ACTIONS: dict[str, Action] = {"approve": "approve", "reject": "reject"}


@blueprint.get("/questions")
@area("questions")
def questions() -> BaseResponse:
    status = request.args.get("status", "pending")
    wanted = [EntryStatus(status)] if status in set(EntryStatus) else None
    found = store().questions(wanted, SHOWN)
    answers = store().question_answers([q.id for q in found])
    return page(
        "admin/questions.html",
        questions=found,
        answered=set(answers),
        showing=status if wanted else "all",
        counts=store().question_counts(),
        owner=admin().role == "owner",
    )


@blueprint.post("/questions/bulk")
@area("questions")
def questions_bulk() -> BaseResponse:
    action = ACTIONS.get(request.form.get("action", ""))
    if action is None:
        abort(400)
    ids = [int(v) for v in request.form.getlist("id") if v.isdigit()]
    changed = bulk(store(), ids, action, services().clock())
    for question_id in changed:
        log(f"{action}d question", f"#{question_id}")
    return done("admin.questions", f"{len(changed)} question(s) {action}d")


@blueprint.get("/questions/<int:question_id>")
@area("questions")
def question(question_id: int) -> BaseResponse:
    try:
        found, edit = edit_form(store(), question_id)
    except NoSuchQuestion:
        abort(404)
    return _edit_page(found, edit, {}, 200)


@blueprint.post("/questions/<int:question_id>")
@area("questions")
def question_save(question_id: int) -> BaseResponse:
    form = request.form
    edit = Edit(form.get("title", ""), form.get("body", ""), form.get("answer", ""))
    now = services().clock()
    try:
        before, old = edit_form(store(), question_id)
        saved = save_edit(store(), question_id, edit, now)
    except NoSuchQuestion:
        abort(404)
    except InvalidQuestion as exc:
        return _edit_page(before, edit, exc.problems, 400)
    changes = edit_changes(old, edit)
    for change in changes:
        log(change, f"#{question_id}")
    action = ACTIONS.get(form.get("action", ""))
    moderation = moderate(store(), question_id, action, now) if action else None
    if moderation is not None and moderation.changed:
        log(f"{action}d question", f"#{question_id} {saved.title}")
    return done("admin.questions", save_notice(question_id, changes, moderation))


def _edit_page(found: object, edit: Edit, problems: dict[str, str], status: int) -> BaseResponse:
    return page(
        "admin/question.html",
        status,
        question=found,
        edit=edit,
        problems=problems,
        owner=admin().role == "owner",
        limits={"body": BODY_MAX, "answer": ANSWER_MAX},
    )
