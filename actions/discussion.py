"""What the page of an update shows around it: its discussion, and what a revision changed.

The discussion starts with the comment the Secretariat returned the update with
(StatusUpdate.review_comment), followed by the comments (UpdateComment), oldest first. A revision
is compared with the returned update it revises: status, progress, narrative word by word, and the
evidence added or removed.
"""

import difflib
import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from actions.models import Evidence, StatusUpdate

# Words and the spaces between them, so that the diff keeps the text's own spacing.
_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(before: str, after: str) -> SafeString:
    """`after` compared with `before` word by word: removed words in <del>, added ones in <ins>,
    every piece of text escaped."""
    old, new = _TOKENS.findall(before or ""), _TOKENS.findall(after or "")
    html = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        removed = escape("".join(old[old_start:old_end]))
        added = escape("".join(new[new_start:new_end]))
        if operation == "equal":
            html.append(added)
            continue
        if removed:
            html.append(f"<del>{removed}</del>")
        if added:
            html.append(f"<ins>{added}</ins>")
    return mark_safe("".join(html))


def _evidence_key(evidence: Evidence) -> tuple[str, str]:
    # A file is the same evidence when it has the same name and size; a link, the same address.
    return ("file", f"{evidence.file_name}\0{evidence.size}") if evidence.file else ("link", evidence.url)


@dataclass
class Changes:
    """What a revision changed against the returned update it revises."""

    revised: StatusUpdate
    status: tuple[StatusUpdate, StatusUpdate] | None = None
    progress: tuple[int | None, int | None] | None = None
    narrative: SafeString | None = None
    added: list[Evidence] = field(default_factory=list)
    removed: list[Evidence] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.status or self.progress or self.narrative or self.added or self.removed)


def revision_changes(update: StatusUpdate, evidence: list[Evidence]) -> Changes | None:
    """What `update` changed against the update it revises; None when it revises none."""
    revised = update.revision_of
    if revised is None:
        return None
    changes = Changes(revised=revised)
    if revised.status != update.status:
        changes.status = (revised, update)
    if revised.progress != update.progress:
        changes.progress = (revised.progress, update.progress)
    if revised.narrative != update.narrative:
        changes.narrative = word_diff(revised.narrative, update.narrative)
    before = {_evidence_key(each): each for each in revised.evidence.all()}
    after = {_evidence_key(each): each for each in evidence}
    changes.added = [each for key, each in after.items() if key not in before]
    changes.removed = [each for key, each in before.items() if key not in after]
    return changes


@dataclass
class Entry:
    """One entry of a discussion: the return comment or a comment."""

    author: object
    at: object
    text: str
    language: str = ""
    is_return: bool = False


def thread(update: StatusUpdate) -> list[Entry]:
    """The discussion of `update`: the return comment first, then the comments, oldest first."""
    entries = []
    if update.review_comment:
        returned = update.state == StatusUpdate.State.RETURNED
        entries.append(Entry(update.reviewed_by, update.reviewed_at, update.review_comment, is_return=returned))
    for comment in update.comments.select_related("author"):
        entries.append(Entry(comment.author, comment.created_at, comment.text, comment.language))
    return entries
