"""The open-data export of the instruments: one record per item, with stable keys.

The keys are documented in docs/open-data.md; renaming one breaks other people's scripts.
"""

from django.db.models import Prefetch
from import_export import fields, resources

from actions.models import Item, ResponsibleParty


class ItemResource(resources.Resource):
    instrument = fields.Field(attribute="instrument__slug", column_name="instrument")
    code = fields.Field(attribute="code", column_name="code")
    key = fields.Field(attribute="key", column_name="key")
    kind = fields.Field(attribute="kind", column_name="kind")
    parent = fields.Field(attribute="parent__key", column_name="parent")
    text_en = fields.Field(attribute="text_en", column_name="text_en")
    text_ru = fields.Field(attribute="text_ru", column_name="text_ru")
    text_mn = fields.Field(attribute="text_mn", column_name="text_mn")
    text_kk = fields.Field(attribute="text_kk", column_name="text_kk")
    original_language = fields.Field(attribute="original_language", column_name="original_language")
    responsible_raw = fields.Field(attribute="responsible_raw", column_name="responsible_raw")
    responsible = fields.Field(column_name="responsible")
    priority = fields.Field(attribute="priority", column_name="priority")
    priority_raw = fields.Field(attribute="priority_raw", column_name="priority_raw")
    timeline_raw = fields.Field(attribute="timeline_raw", column_name="timeline_raw")
    due = fields.Field(column_name="due")
    due_precision = fields.Field(attribute="due_precision", column_name="due_precision")
    applies_to = fields.Field(column_name="applies_to")

    def __init__(self, join_lists: bool = False, dates: bool = False):
        """With join_lists, list values become "a; b" (for CSV and spreadsheets).

        With dates, `due` is a date (for a workbook's date cells, empty when there is none);
        otherwise it is the text YYYY-MM-DD, or "" (JSON and CSV).
        """
        super().__init__()
        self.join_lists = join_lists
        self.dates = dates

    class Meta:
        export_order = (
            "instrument", "code", "key", "kind", "parent", "text_en", "text_ru", "text_mn", "text_kk",
            "original_language", "responsible_raw", "responsible", "priority", "priority_raw",
            "timeline_raw", "due", "due_precision", "applies_to",
        )  # fmt: skip

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

    def dehydrate_due(self, item):
        if self.dates:
            return item.due
        return item.due.isoformat() if item.due else ""

    def dehydrate_responsible(self, item):
        return self._list([party.agency.name_en for party in item.responsible_parties.all()])

    def dehydrate_applies_to(self, item):
        return self._list([unit.code for unit in item.applies_to.all()])
