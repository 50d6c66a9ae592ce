"""The open-data export of the instruments: one record per item, with stable keys.

The keys are documented in docs/open-data.md; renaming one breaks other people's scripts.
"""

from django.db.models import Prefetch
from import_export import fields, resources

from actions.models import Item, ResponsibleParty

LANGUAGES = ("en", "ru", "mn", "kk")


class ItemResource(resources.Resource):
    instrument = fields.Field(column_name="instrument")
    code = fields.Field(column_name="code")
    key = fields.Field(column_name="key")
    kind = fields.Field(column_name="kind")
    parent = fields.Field(column_name="parent")
    text_en = fields.Field(column_name="text_en")
    text_ru = fields.Field(column_name="text_ru")
    text_mn = fields.Field(column_name="text_mn")
    text_kk = fields.Field(column_name="text_kk")
    original_language = fields.Field(column_name="original_language")
    responsible_raw = fields.Field(column_name="responsible_raw")
    responsible = fields.Field(column_name="responsible")
    priority = fields.Field(column_name="priority")
    priority_raw = fields.Field(column_name="priority_raw")
    timeline_raw = fields.Field(column_name="timeline_raw")
    due = fields.Field(column_name="due")
    due_precision = fields.Field(column_name="due_precision")
    applies_to = fields.Field(column_name="applies_to")

    def __init__(self, join_lists: bool = False):
        """With join_lists, list values become "a; b" (for CSV and spreadsheets)."""
        super().__init__()
        self.join_lists = join_lists

    class Meta:
        export_order = (
            "instrument",
            "code",
            "key",
            "kind",
            "parent",
            "text_en",
            "text_ru",
            "text_mn",
            "text_kk",
            "original_language",
            "responsible_raw",
            "responsible",
            "priority",
            "priority_raw",
            "timeline_raw",
            "due",
            "due_precision",
            "applies_to",
        )

    def get_queryset(self):
        return (
            Item.objects.select_related("instrument", "parent")
            .prefetch_related(
                Prefetch("responsible_parties", queryset=ResponsibleParty.objects.select_related("agency")),
                "applies_to",
            )
            .order_by("instrument__position", "sort_key", "depth")
        )

    def _list(self, values: list[str]):
        return "; ".join(values) if self.join_lists else values

    def dehydrate_instrument(self, item):
        return item.instrument.slug

    def dehydrate_code(self, item):
        return item.code

    def dehydrate_key(self, item):
        return item.key

    def dehydrate_kind(self, item):
        return item.kind

    def dehydrate_parent(self, item):
        return item.parent.key if item.parent else ""

    def dehydrate_text_en(self, item):
        return item.text_en or ""

    def dehydrate_text_ru(self, item):
        return item.text_ru or ""

    def dehydrate_text_mn(self, item):
        return item.text_mn or ""

    def dehydrate_text_kk(self, item):
        return item.text_kk or ""

    def dehydrate_original_language(self, item):
        return item.original_language

    def dehydrate_responsible_raw(self, item):
        return item.responsible_raw

    def dehydrate_responsible(self, item):
        return self._list([party.agency.name_en for party in item.responsible_parties.all()])

    def dehydrate_priority(self, item):
        return item.priority

    def dehydrate_priority_raw(self, item):
        return item.priority_raw

    def dehydrate_timeline_raw(self, item):
        return item.timeline_raw

    def dehydrate_due(self, item):
        return item.due.isoformat() if item.due else ""

    def dehydrate_due_precision(self, item):
        return item.due_precision

    def dehydrate_applies_to(self, item):
        return self._list([unit.code for unit in item.applies_to.all()])
