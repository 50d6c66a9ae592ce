"""Synthetic reporting history at a chosen volume, to measure the site and its reports under load.

For every trackable item and every unit it applies to (or a share of those pairs), a sequence of
updates spread over the years: not started, planned, in progress (now and then delayed), then
completed or ongoing, with a percentage that goes with the status and a narrative made of neutral
sentences in the unit's likely language. Almost all are accepted a few days after submission; the
newest update of a few pairs is left pending review or returned, as on a live site.

The updates are written with bulk_create, batch by batch, so that a million of them need little
memory; the progress rows are then set from the database with one UPDATE per chunk of rows, so that
they also count whatever history a pair already had. Workflow steps (UpdateEvent) are not written:
they would triple the rows and nothing in a report reads them. Authors and reviewer are accounts
named synthetic-<unit code> and synthetic-secretariat, which cannot sign in.
"""

import datetime
import random
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice

from django.contrib.auth import get_user_model
from django.db import connection, reset_queries, transaction
from django.db.models import Count, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from actions import data_version
from actions.models import DuePrecision, Item, Profile, Progress, ReportingUnit, Role, Status, StatusUpdate

SECRETARIAT_USERNAME = "synthetic-secretariat"
# Shares of pairs whose newest update is still waiting for review, or was returned.
PENDING_SHARE = 0.02
RETURNED_SHARE = 0.01
NOT_APPLICABLE_SHARE = 0.03
DELAYED_SHARE = 0.12
WITHOUT_NARRATIVE_SHARE = 0.1
# Share of narratives written in the unit's own language rather than in English.
OWN_LANGUAGE_SHARE = 0.6
UNIT_LANGUAGES = {"KZ": "ru", "KG": "ru", "TJ": "ru", "TM": "ru", "UZ": "ru", "RU": "ru", "MN": "mn"}
RETURN_COMMENT = "Please give the dates and places of the surveys."

# Sentences with nothing country-specific in them; "{n}" is a small number. The Russian ones keep
# the number away from a noun, so that no case agreement can go wrong.
SENTENCES = {
    "en": (
        "Field teams surveyed {n} sections of the fence line for places where animals cross.",
        "Camera traps at the passages recorded {n} crossings by ungulates during the season.",
        "Monitoring of the migration corridor continued with ground counts and satellite collar data.",
        "A joint survey with the protected area staff covered {n} km of the route.",
        "The results of the spring survey were summarised and sent to the responsible agencies.",
        "Rangers took part in training on monitoring methods and data recording ({n} participants).",
        "Local herders were consulted on where new passages should be placed.",
        "The design of wildlife-friendly fence sections was reviewed with the road authority.",
        "Work is planned to continue in the next season, subject to funding.",
        "Data from the aerial survey are being analysed; a report is expected later in the year.",
        "The inter-agency working group met to coordinate monitoring.",
        "Seasonal limits on construction near calving areas were observed.",
    ),
    "ru": (
        "Полевые группы обследовали участки ограждения в местах перехода животных (число участков: {n}).",
        "Число переходов копытных, зарегистрированных фотоловушками на проходах за сезон: {n}.",
        "Продолжен мониторинг миграционного коридора по данным наземных учётов и спутниковых ошейников.",
        "Совместное обследование с сотрудниками заповедника охватило маршрут протяжённостью {n} км.",
        "Результаты весеннего учёта обобщены и направлены в ответственные ведомства.",
        "Инспекторы прошли обучение методам мониторинга и учёта данных (число участников: {n}).",
        "Проведены консультации с местными животноводами о размещении новых проходов.",
        "Проект участков ограждения, безопасных для диких животных, рассмотрен с дорожным ведомством.",
        "Работа будет продолжена в следующем сезоне при наличии финансирования.",
        "Данные авиаучёта обрабатываются; отчёт ожидается до конца года.",
        "Состоялось заседание межведомственной рабочей группы по координации мониторинга.",
        "Соблюдались сезонные ограничения на строительство вблизи мест отёла.",
    ),
    "mn": (
        "Хээрийн багууд хашааны {n} хэсэгт амьтны гарцын байдлыг судалсан.",
        "Гарцууд дээрх камер хавх туурайтан амьтны {n} удаагийн нэвтрэлтийг бүртгэсэн.",
        "Нүүдлийн коридорын хяналт шинжилгээг газрын тооллого, хиймэл дагуулын хүзүүвчийн мэдээгээр үргэлжлүүлсэн.",
        "Тусгай хамгаалалттай газрын ажилтнуудтай хамтран маршрутын {n} км-ийг хамарсан судалгаа хийсэн.",
        "Хаврын тооллогын дүнг нэгтгэн холбогдох байгууллагуудад хүргүүлсэн.",
        "Хяналт шинжилгээний арга зүйн сургалтад {n} байгаль хамгаалагч хамрагдсан.",
        "Шинэ гарцын байршлын талаар орон нутгийн малчидтай зөвлөлдсөн.",
        "Санхүүжилт шийдэгдвэл ажлыг дараагийн улиралд үргэлжлүүлэхээр төлөвлөж байна.",
        "Агаараас хийсэн тооллогын мэдээг боловсруулж байна.",
    ),
}


def batched(iterable: Iterable, size: int) -> Iterator[list]:
    """Python 3.12's itertools.batched."""
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


class SyntheticError(ValueError):
    pass


@dataclass
class HistoryReport:
    updates: int
    pairs: int
    start: datetime.date
    until: datetime.date
    seconds: float


@dataclass(frozen=True)
class Pair:
    item_id: int
    unit_id: int
    key: str
    unit_code: str
    ongoing: bool


def pairs_to_report() -> list[Pair]:
    """Every trackable item with every unit it applies to, in an order that does not depend on ids."""
    through = Item.applies_to.through
    rows = through.objects.filter(item__kind__in=Item.TRACKABLE_KINDS).values_list(
        "item_id",
        "reportingunit_id",
        "item__instrument__slug",
        "item__key",
        "reportingunit__code",
        "item__due_precision",
    )
    pairs = [
        Pair(item_id, unit_id, f"{slug}:{key}", code, precision == DuePrecision.ONGOING)
        for item_id, unit_id, slug, key, code, precision in rows
    ]
    return sorted(pairs, key=lambda pair: (pair.key, pair.unit_code))


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@contextmanager
def _keeping_created_at():
    """Let bulk_create store the creation times given, which auto_now_add would set to now."""
    field = StatusUpdate._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


def _synthetic_users(units: list[ReportingUnit]) -> tuple[dict[int, int], int]:
    User = get_user_model()

    def account(username: str, last_name: str, role: str):
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": "Synthetic", "last_name": last_name}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        profile, _ = Profile.objects.get_or_create(user=user, defaults={"role": role})
        return user, profile

    authors = {}
    for unit in units:
        user, profile = account(f"synthetic-{unit.code.lower()}", unit.code, Role.FOCAL_POINT)
        profile.units.add(unit)
        authors[unit.pk] = user.pk
    reviewer, _ = account(SECRETARIAT_USERNAME, "Secretariat", Role.SECRETARIAT)
    return authors, reviewer.pk


def _statuses(rng: random.Random, count: int, ongoing: bool) -> list[tuple[str, int | None]]:
    """A plausible course of statuses and percentages, oldest first."""
    if rng.random() < NOT_APPLICABLE_SHARE:
        return [(Status.NOT_APPLICABLE, None)] * count
    target = Status.ONGOING if ongoing or rng.random() < 0.25 else Status.COMPLETED
    begins = int(count * rng.uniform(0, 0.3))
    # Beyond the last update for some pairs: the work is never finished within the period.
    ends = max(begins + 1, int(count * rng.uniform(0.4, 1.6)))
    course, percent = [], 0
    for index in range(count):
        if index < begins:
            course.append((Status.NOT_STARTED, None) if index < begins / 2 else (Status.PLANNED, 0))
        elif index >= ends:
            course.append((target, 100 if target == Status.COMPLETED else None))
        elif rng.random() < DELAYED_SHARE:
            course.append((Status.DELAYED, percent))
        else:
            share = (index - begins + 1) / (ends - begins + 1)
            percent = min(95, max(percent, round(5 + 90 * share + rng.uniform(-5, 5))))
            course.append((Status.IN_PROGRESS, percent))
    return course


def _narrative(rng: random.Random, language: str, length: int) -> str:
    if length <= 0 or rng.random() < WITHOUT_NARRATIVE_SHARE:
        return ""
    target = length * rng.uniform(0.5, 1.5)
    sentences, size = [], 0
    bank = SENTENCES[language]
    while True:
        sentence = rng.choice(bank).format(n=rng.randint(2, 40))
        # Stopping halfway through the sentence that crosses the target keeps the average on it.
        if sentences and size + len(sentence) / 2 > target:
            return " ".join(sentences)
        sentences.append(sentence)
        size += len(sentence) + 1


def _pair_updates(
    pair: Pair,
    *,
    count: int,
    seed: int,
    start: datetime.datetime,
    end: datetime.datetime,
    narrative_chars: int,
    author_id: int,
    reviewer_id: int,
    version: int,
) -> Iterator[StatusUpdate]:
    # One generator per pair: a pair's history does not change with the coverage or the pairs before it.
    rng = random.Random(f"{seed}:{pair.key}:{pair.unit_code}")
    own_language = UNIT_LANGUAGES.get(pair.unit_code, "en")
    slot = (end - start) / count
    first_day = start.date()
    course = _statuses(rng, count, pair.ongoing)
    for index, (status, percent) in enumerate(course):
        submitted_at = start + slot * (index + rng.uniform(0.1, 0.9))
        state, reviewed_at, reviewer, comment = StatusUpdate.State.ACCEPTED, None, reviewer_id, ""
        if index == count - 1:
            draw = rng.random()
            if draw < PENDING_SHARE:
                state, reviewer = StatusUpdate.State.SUBMITTED, None
            elif draw < PENDING_SHARE + RETURNED_SHARE:
                state, comment = StatusUpdate.State.RETURNED, RETURN_COMMENT
        if reviewer is not None:
            reviewed_at = submitted_at + datetime.timedelta(days=rng.uniform(1, 7))
        language = own_language if own_language != "en" and rng.random() < OWN_LANGUAGE_SHARE else "en"
        yield StatusUpdate(
            item_id=pair.item_id,
            unit_id=pair.unit_id,
            status=status,
            progress=percent,
            narrative=_narrative(rng, language, narrative_chars),
            narrative_language=language,
            refers_to=max(first_day, (submitted_at - datetime.timedelta(days=rng.uniform(0, 45))).date()),
            state=state,
            source=StatusUpdate.Source.DEMO,
            author_id=author_id,
            created_at=submitted_at - datetime.timedelta(hours=rng.uniform(1, 72)),
            submitted_at=submitted_at,
            reviewed_at=reviewed_at,
            reviewed_by_id=reviewer,
            review_comment=comment,
            based_on_version=version + index,
        )


def refresh_progress(pairs: set[tuple[int, int]], chunk_size: int = 500) -> None:
    """Set the progress rows of `pairs` from all their updates, as the workflow would have kept them.

    version: the number of submitted updates; latest: the newest of those; current: the newest
    accepted one (newest by submission, as actions.services decides).
    """
    existing = set(Progress.objects.values_list("item_id", "unit_id"))
    Progress.objects.bulk_create(
        [Progress(item_id=item_id, unit_id=unit_id) for item_id, unit_id in sorted(pairs - existing)],
        batch_size=chunk_size,
    )
    same_pair = StatusUpdate.objects.filter(item_id=OuterRef("item_id"), unit_id=OuterRef("unit_id")).order_by()
    submitted = same_pair.exclude(state=StatusUpdate.State.DRAFT)
    newest = (F("submitted_at").desc(nulls_last=True), F("pk").desc())
    values = {
        "version": Coalesce(
            Subquery(submitted.values("item_id").annotate(count=Count("pk")).values("count")), Value(0)
        ),
        "latest_id": Subquery(submitted.order_by(*newest).values("pk")[:1]),
        "current_id": Subquery(same_pair.filter(state=StatusUpdate.State.ACCEPTED).order_by(*newest).values("pk")[:1]),
    }
    ids = [
        pk
        for pk, item_id, unit_id in Progress.objects.values_list("pk", "item_id", "unit_id")
        if (item_id, unit_id) in pairs
    ]
    for chunk in batched(ids, chunk_size):
        Progress.objects.filter(pk__in=chunk).update(**values)


def generate_history(
    *,
    years: int = 10,
    until: datetime.date | None = None,
    per_year: int = 4,
    coverage: float = 1.0,
    total: int | None = None,
    seed: int = 1,
    narrative_chars: int = 400,
    batch_size: int = 5000,
) -> HistoryReport:
    """Create synthetic accepted updates over `years` up to `until`; all or nothing.

    Each selected pair gets `years` x `per_year` updates, or, given `total`, a share of `total`.
    Side effects: the synthetic accounts, the updates, and the progress rows of the pairs reported on.
    """
    if years < 1 or per_year < 1 or batch_size < 1 or narrative_chars < 0:
        raise SyntheticError("years, per-year and batch size must be at least 1, narrative length at least 0")
    if not 0 <= coverage <= 1:
        raise SyntheticError("coverage is a share between 0 and 1")
    if total is not None and total < 1:
        raise SyntheticError("the total must be at least 1")
    started = time.perf_counter()
    until = until or timezone.localdate()
    first_day = years_before(until, years)
    all_pairs = pairs_to_report()
    if not all_pairs:
        raise SyntheticError("there are no instruments: run manage.py load_instruments first")
    chosen_indexes = random.Random(seed).sample(range(len(all_pairs)), round(coverage * len(all_pairs)))
    chosen = [all_pairs[index] for index in sorted(chosen_indexes)]
    if total is None:
        counts = [years * per_year] * len(chosen)
    else:
        each, extra = divmod(total, len(chosen)) if chosen else (0, 0)
        counts = [each + (index < extra) for index in range(len(chosen))]

    start = datetime.datetime.combine(first_day, datetime.time(8), tzinfo=datetime.UTC)
    # Submissions stop a week before the end, so that every review falls within the period too.
    end = datetime.datetime.combine(until - datetime.timedelta(days=7), datetime.time(18), tzinfo=datetime.UTC)
    created, touched = 0, set()
    with transaction.atomic(), _keeping_created_at():
        units = list(ReportingUnit.objects.filter(pk__in={pair.unit_id for pair in chosen}))
        authors, reviewer_id = _synthetic_users(units)
        versions = {
            (item_id, unit_id): version
            for item_id, unit_id, version in Progress.objects.values_list("item_id", "unit_id", "version")
        }

        def updates() -> Iterator[StatusUpdate]:
            for pair, count in zip(chosen, counts, strict=True):
                if count:
                    touched.add((pair.item_id, pair.unit_id))
                    yield from _pair_updates(
                        pair,
                        count=count,
                        seed=seed,
                        start=start,
                        end=end,
                        narrative_chars=narrative_chars,
                        author_id=authors[pair.unit_id],
                        reviewer_id=reviewer_id,
                        version=versions.get((pair.item_id, pair.unit_id), 0),
                    )

        for batch in batched(updates(), batch_size):
            StatusUpdate.objects.bulk_create(batch)
            created += len(batch)
            # With DEBUG on, every INSERT (narratives and all) would otherwise stay in the query log.
            reset_queries()
        refresh_progress(touched)
        # Written in bulk, past the signals: the cached page parts must know.
        data_version.changed()
    if connection.vendor == "postgresql":
        # The planner should see the new volume now, not after autovacuum gets to it; the whole
        # database, since the tables joined to the updates (items, their units) may never have been.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return HistoryReport(
        updates=created,
        pairs=len(touched),
        start=first_day,
        until=until,
        seconds=time.perf_counter() - started,
    )
