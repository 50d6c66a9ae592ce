"""The instruments and what they commit to, held as written.

An instrument (the CAMI Programme of Work, the Vilm Declaration, the Ulaanbaatar Action Plan) is
a tree of items: objectives, issues, sections, sub-headings, numbered activities, recommendations,
actions and lettered sub-items. Text fields have one column per language (django-modeltranslation,
see translation.py); `translation_kinds` records which of those texts is the original and which are
official or unofficial translations.
"""

import re

from django.conf import settings
from django.db import models
from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from actions.collation import in_alphabetical_order
from actions.naturalsort import natural_sort_key


class TranslationKind(models.TextChoices):
    ORIGINAL = "original", _("original")
    OFFICIAL = "official", _("official translation")
    UNOFFICIAL = "unofficial", _("unofficial translation")


class TranslatedContent(models.Model):
    """A record whose text exists in several languages, one of them the original."""

    # {"mn": "original", "en": "unofficial"}: the kind of the text held in each language.
    translation_kinds = models.JSONField(_("kinds of the texts"), default=dict, blank=True)

    class Meta:
        abstract = True

    @property
    def original_language(self) -> str:
        for language, kind in self.translation_kinds.items():
            if kind == TranslationKind.ORIGINAL:
                return language
        return ""

    def translation_kind(self, language: str) -> str:
        return self.translation_kinds.get(language, "")


class ReportingUnitQuerySet(models.QuerySet):
    def alphabetical(self):
        """Countries in the alphabet of the reader's language, then the Secretariat."""
        secretariat_last = Case(When(kind=ReportingUnit.Kind.SECRETARIAT, then=Value(1)), default=Value(0))
        return self.order_by(secretariat_last, in_alphabetical_order("name"), "code")


class ReportingUnit(models.Model):
    """Who reports progress: a range state, a partner country or the CMS Secretariat."""

    class Kind(models.TextChoices):
        RANGE_STATE = "range-state", _("CAMI range state")
        PARTNER = "partner", _("partner country")
        SECRETARIAT = "secretariat", _("CMS Secretariat")

    code = models.CharField(_("code"), max_length=3, unique=True, help_text=_("ISO 3166 alpha-2, or CMS"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ReportingUnitQuerySet.as_manager()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("reporting unit")
        verbose_name_plural = _("reporting units")

    def __str__(self) -> str:
        return self.name


class AgencyQuerySet(models.QuerySet):
    def alphabetical(self):
        return self.order_by(in_alphabetical_order("name"), "key")


class Agency(models.Model):
    """A body or a kind of actor named as responsible for an item."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("government agency")
        NGO = "ngo", _("NGO")
        INTERNATIONAL_NGO = "international-ngo", _("international NGO")
        SCIENTIFIC = "scientific", _("scientific institution")
        CMS_SECRETARIAT = "cms-secretariat", _("CMS Secretariat")
        INTERGOVERNMENTAL = "intergovernmental", _("intergovernmental body")
        PRIVATE_SECTOR = "private-sector", _("private sector")
        LOCAL_COMMUNITY = "local-community", _("local community")
        DONOR = "donor", _("donor")
        MEDIA = "media", _("media")
        OTHER = "other", _("other")

    key = models.SlugField(_("key"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=300)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    country = models.ForeignKey(
        ReportingUnit,
        verbose_name=_("country"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agencies",
    )

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["key"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name


class Instrument(TranslatedContent):
    slug = models.SlugField(_("identifier"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=400)
    short_title = models.CharField(_("short title"), max_length=200)
    # Put before an item's code wherever the item is named away from its instrument's pages, where
    # a code alone is ambiguous (2.3 exists in two instruments): "Vilm 2.3", "CAMI 2.2.1 (d)".
    short_name = models.CharField(
        _("short name"), max_length=40, blank=True, help_text=_("Put before item codes, e.g. Vilm in Vilm 2.3")
    )
    adopted_at = models.CharField(_("adopted at"), max_length=400)
    adopted_on = models.DateField(_("adopted on"))
    period_start = models.PositiveSmallIntegerField(_("period from"))
    period_end = models.PositiveSmallIntegerField(_("period to"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    preamble = models.TextField(_("preamble"), blank=True)
    vision = models.TextField(_("vision"), blank=True)
    goal = models.TextField(_("goal"), blank=True)
    applies_to = models.ManyToManyField(
        ReportingUnit, verbose_name=_("reporting units"), related_name="instruments", blank=True
    )

    class Meta:
        ordering = ["position"]
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")

    def __str__(self) -> str:
        return self.short_title

    def get_absolute_url(self) -> str:
        return reverse("actions:instrument", args=[self.slug])

    @property
    def period(self) -> str:
        return f"{self.period_start}–{self.period_end or ''}"


class Priority(models.TextChoices):
    HIGH = "high", pgettext_lazy("priority", "High")
    HIGH_MEDIUM = "high-medium", pgettext_lazy("priority", "High/medium")
    MEDIUM = "medium", pgettext_lazy("priority", "Medium")
    MEDIUM_LOW = "medium-low", pgettext_lazy("priority", "Medium/low")
    LOW = "low", pgettext_lazy("priority", "Low")
    CONDITIONAL = "conditional", pgettext_lazy("priority", "Conditional")
    NONE = "none", pgettext_lazy("priority", "None")


# Highest first; an item without priority sorts last.
PRIORITY_RANK = {value: rank for rank, value in enumerate(Priority.values)}


class DuePrecision(models.TextChoices):
    YEAR = "year", _("year")
    SEASON = "season", _("season")
    MONTH = "month", _("month")
    ONGOING = "ongoing", _("ongoing")
    NONE = "none", _("none")


class ItemQuerySet(models.QuerySet):
    def numbered(self):
        """Activities, recommendations and actions, without the lettered sub-items."""
        return self.filter(kind__in=Item.NUMBERED_KINDS)

    def within(self, item: "Item"):
        """The item's descendants."""
        return self.filter(instrument_id=item.instrument_id, path__startswith=item.path).exclude(pk=item.pk)

    def with_priority_rank(self):
        return self.annotate(
            priority_rank=Case(
                *[When(priority=value, then=Value(rank)) for value, rank in PRIORITY_RANK.items()],
                default=Value(len(PRIORITY_RANK)),
                output_field=IntegerField(),
            )
        )

    def search(self, text: str):
        """Items whose code, text (in any language) or responsible parties contain `text`.

        Case-insensitive for Cyrillic on SQLite too: see actions.sqlite.
        """
        condition = Q(code__icontains=text) | Q(responsible_raw__icontains=text)
        for field in ("text_en", "text_ru", "text_mn", "text_kk"):
            condition |= Q(**{f"{field}__icontains": text})
        return self.filter(condition)


class Item(TranslatedContent):
    """One element of an instrument: an objective, an issue, a numbered activity, a sub-item..."""

    class Kind(models.TextChoices):
        OBJECTIVE = "objective", pgettext_lazy("item kind", "objective")
        ISSUE = "issue", pgettext_lazy("item kind", "issue")
        SECTION = "section", pgettext_lazy("item kind", "section")
        SUBHEADING = "subheading", pgettext_lazy("item kind", "sub-heading")
        SOLUTION = "solution", pgettext_lazy("item kind", "solution")
        ACTIVITY = "activity", pgettext_lazy("item kind", "activity")
        RECOMMENDATION = "recommendation", pgettext_lazy("item kind", "recommendation")
        ACTION = "action", pgettext_lazy("item kind", "action")
        SUBITEM = "subitem", pgettext_lazy("item kind", "sub-item")

    NUMBERED_KINDS = (Kind.ACTIVITY, Kind.RECOMMENDATION, Kind.ACTION)
    TRACKABLE_KINDS = (*NUMBERED_KINDS, Kind.SUBITEM)

    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.CASCADE, related_name="items"
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("part of"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=30, blank=True, help_text=_("As printed, e.g. 2.3.12 or 1.3.1 (d)"))
    # Unique within the instrument: the code, or for an uncoded heading its parent's key and a slug.
    key = models.CharField(_("key"), max_length=80)
    # The key as it reads in an address: "1.3.1-d", "2.2.1-fences".
    slug = models.CharField(_("URL name"), max_length=80)
    # Ancestors' keys and the item's own, each followed by "/": finds descendants by prefix.
    path = models.CharField(max_length=400, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    # Fixed-width digits and letters only, so that SQLite and PostgreSQL collations agree.
    sort_key = models.CharField(max_length=120, editable=False, db_index=True)
    text = models.TextField(_("text"))
    responsible_raw = models.TextField(_("responsible (as printed)"), blank=True)
    priority = models.CharField(pgettext_lazy("field", "priority"), max_length=20, choices=Priority.choices, blank=True)
    priority_raw = models.CharField(_("priority (as printed)"), max_length=200, blank=True)
    timeline_raw = models.CharField(_("timeline (as printed)"), max_length=300, blank=True)
    # The last day of the period the timeline names: July 2013 is 2013-07-31.
    due = models.DateField(_("due"), null=True, blank=True)
    due_precision = models.CharField(
        _("due date precision"), max_length=10, choices=DuePrecision.choices, default=DuePrecision.NONE
    )
    applies_to = models.ManyToManyField(
        ReportingUnit, verbose_name=_("reporting units"), related_name="items", blank=True
    )
    agencies = models.ManyToManyField(
        Agency, verbose_name=_("responsible"), through="ResponsibleParty", related_name="items", blank=True
    )

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["instrument__position", "sort_key", "depth"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "key"], name="item_key_unique_in_instrument"),
            models.UniqueConstraint(fields=["instrument", "slug"], name="item_slug_unique_in_instrument"),
        ]
        indexes = [models.Index(fields=["instrument", "path"])]
        verbose_name = _("item")
        verbose_name_plural = _("items")

    def __str__(self) -> str:
        return f"{self.code or self.key} {self.text}"[:120]

    def get_absolute_url(self) -> str:
        return reverse("actions:item", args=[self.instrument.slug, self.slug])

    @property
    def citation(self) -> str:
        """The item named with its instrument, as in "Vilm 2.3" (reads `instrument`: select it)."""
        instrument = self.instrument
        return f"{instrument.short_name or instrument.short_title} {self.code or self.key}"

    @staticmethod
    def slug_for(key: str) -> str:
        return re.sub(r"[^0-9a-z.]+", "-", key.lower()).strip("-")

    def ancestors(self) -> list["Item"]:
        """From the top of the instrument down to the parent; follows already loaded parents."""
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]

    def place_in_tree(self) -> None:
        """Set path, depth and the natural sort key from the parent and the code."""
        parent_path = self.parent.path if self.parent else f"{self.instrument.slug}/"
        self.path = f"{parent_path}{self.key}/"
        self.depth = self.parent.depth + 1 if self.parent else 0
        if self.code:
            self.sort_key = natural_sort_key(self.code)

    def text_in(self, language: str) -> str:
        return getattr(self, f"text_{language}") or ""

    def displayed_language(self) -> str:
        """The language of the text a reader in the active language sees, after fallbacks."""
        active = get_language() or settings.LANGUAGE_CODE
        fallbacks = settings.MODELTRANSLATION_FALLBACK_LANGUAGES
        for language in (active, *fallbacks.get(active, fallbacks["default"])):
            if self.text_in(language):
                return language
        return self.original_language


class ResponsibleParty(TranslatedContent):
    """An agency named responsible for an item, as the source names it.

    `note` qualifies the agency's part ("in cooperation with", "as a platform"): written in English
    when the instruments were transcribed, translated like the items' texts.
    """

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="responsible_parties")
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="responsibilities"
    )
    # The source prints "(tbc)": to be confirmed.
    to_be_confirmed = models.BooleanField(_("to be confirmed"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["item", "agency"], name="responsible_once_per_item")]
        verbose_name = _("responsible party")
        verbose_name_plural = _("responsible parties")

    def __str__(self) -> str:
        return str(self.agency)


class Footnote(TranslatedContent):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="footnotes")
    mark = models.CharField(_("mark"), max_length=10)
    text = models.TextField(_("text"))

    class Meta:
        ordering = ["item", "mark"]
        verbose_name = _("footnote")
        verbose_name_plural = _("footnotes")

    def __str__(self) -> str:
        return f"{self.mark} {self.text}"[:80]


class CrossReference(models.Model):
    """A pointer from one item to another, in the same instrument or across instruments."""

    class Kind(models.TextChoices):
        SEE = "see", _("see")
        AS = "as", _("same as")
        RELATED = "related", _("related")
        SAME_COMMITMENT = "same-commitment", _("same commitment in another instrument")

    source = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="references")
    target = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="referenced_by")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "target", "kind"], name="reference_once")]
        verbose_name = _("cross-reference")
        verbose_name_plural = _("cross-references")

    def __str__(self) -> str:
        return f"{self.source.key} → {self.target.key}"
