"""The fixtures hold every item of the three instruments as the source prints them."""

import datetime
from collections import Counter

import pytest

from actions.models import CrossReference, DuePrecision, Item, Priority, TranslationKind
from actions.tests import seed

pytestmark = pytest.mark.django_db


def codes(instrument: str, kind: str) -> set[str]:
    return set(Item.objects.filter(instrument__slug=instrument, kind=kind).values_list("code", flat=True))


def item(instrument: str, key: str) -> Item:
    return Item.objects.get(instrument__slug=instrument, key=key)


def agency_keys(found: Item) -> list[str]:
    return [party.agency.key for party in found.responsible_parties.select_related("agency")]


def unit_codes(found: Item) -> set[str]:
    return set(found.applies_to.values_list("code", flat=True))


class TestCountsAgainstTheSource:
    def test_every_cami_activity_of_the_source_and_no_other(self):
        assert codes("cami-pow", Item.Kind.ACTIVITY) == seed.cami_activity_codes()
        assert len(codes("cami-pow", Item.Kind.ACTIVITY)) == 121

    def test_cami_activities_per_objective(self):
        per_objective = Counter(code.split(".")[0] for code in seed.cami_activity_codes())
        for objective, count in per_objective.items():
            found = Item.objects.filter(
                instrument__slug="cami-pow", kind=Item.Kind.ACTIVITY, code__startswith=f"{objective}."
            )
            assert found.count() == count, objective
        assert per_objective == {"1": 50, "2": 41, "3": 8, "4": 22}

    def test_cami_objectives_and_issues(self):
        assert codes("cami-pow", Item.Kind.OBJECTIVE) == {"1", "2", "3", "4"}
        issues = {code.rsplit(".", 1)[0] for code in seed.cami_activity_codes()}
        assert codes("cami-pow", Item.Kind.ISSUE) == issues
        assert len(issues) == 16

    def test_cami_lettered_subitems_per_activity(self):
        expected = seed.cami_subitems_per_activity()
        found = Counter(
            Item.objects.filter(instrument__slug="cami-pow", kind=Item.Kind.SUBITEM)
            .values_list("code", flat=True)
            .iterator()
        )
        per_activity = Counter()
        for code, count in found.items():
            per_activity[code.split(" ")[0]] += count
        assert per_activity == expected
        assert sum(expected.values()) == 52

    def test_every_vilm_action_of_the_source(self):
        assert codes("vilm", Item.Kind.ACTION) == seed.vilm_action_codes()
        assert len(seed.vilm_action_codes()) == 65

    def test_vilm_solutions_and_their_actions(self):
        solutions = {code.split(".")[0] for code in seed.vilm_action_codes()}
        assert codes("vilm", Item.Kind.SOLUTION) == solutions == {str(n) for n in range(1, 19)}
        for action in Item.objects.filter(instrument__slug="vilm", kind=Item.Kind.ACTION).select_related("parent"):
            assert action.parent.code == action.code.split(".")[0]

    def test_ulaanbaatar_recommendations_per_section(self):
        assert (
            sorted(codes("ulaanbaatar", Item.Kind.RECOMMENDATION), key=int) == seed.ulaanbaatar_recommendation_codes()
        )
        sections = {
            section.key: [child.code for child in section.children.order_by("sort_key")]
            for section in Item.objects.filter(instrument__slug="ulaanbaatar", kind=Item.Kind.SECTION)
        }
        assert sections == {
            "policy": [str(n) for n in range(1, 17)],
            "science": ["17", "18", "19", "20", "21"],
            "before-construction": ["22", "23"],
            "during-construction": ["24"],
            "after-construction": ["25", "26", "27"],
        }


class TestTexts:
    def test_cami_activity_verbatim(self):
        assert item("cami-pow", "1.1.10").text_en == "Rotate hunting areas to avoid over-use of animals in one area."
        assert (
            item("cami-pow", "1.3.1 (d)").text_en
            == "make maps (GIS) available at national, bilateral and regional level,"
        )

    def test_cami_subheadings_of_2_2_1(self):
        headings = Item.objects.filter(instrument__slug="cami-pow", parent__key="2.2.1").order_by("sort_key")
        assert [heading.text_en for heading in headings] == ["Fences", "Roads", "Railroads"]
        assert [child.code for child in item("cami-pow", "2.2.1/roads").children.order_by("sort_key")] == [
            "2.2.1 (e)",
            "2.2.1 (f)",
            "2.2.1 (g)",
        ]

    def test_mongolian_originals_verbatim_with_unofficial_english(self):
        recommendation = item("ulaanbaatar", "16")
        assert recommendation.text_mn == (
            "Хил залгаа орнуудыг хилийн хайсуудыг зэрлэг амьтдад ээлтэй байдлаар дахин загварчлах "
            "талаарх хэлэлцүүлэгт татан оролцуулах;"
        )
        assert recommendation.translation_kinds == {
            "mn": TranslationKind.ORIGINAL,
            "en": TranslationKind.UNOFFICIAL,
            "ru": TranslationKind.UNOFFICIAL,
            "kk": TranslationKind.UNOFFICIAL,
        }
        assert recommendation.original_language == "mn"
        assert "border" in recommendation.text_en.lower()

    def test_every_item_has_its_original_and_an_english_text(self):
        for found in Item.objects.select_related("instrument"):
            assert found.translation_kinds.get(found.original_language) == TranslationKind.ORIGINAL, found.key
            assert found.text_en, found.key
            assert found.text_in(found.original_language), found.key

    def test_vilm_action_keeps_its_country_prefix(self):
        assert item("vilm", "2.1").text_mn.startswith("МГ: Ажлын хэсгийн дэд баг төлөвлөнө")

    def test_ulaanbaatar_footnotes(self):
        footnote = item("ulaanbaatar", "4").footnotes.get()
        assert footnote.mark == "2"
        assert "Азийн Хөгжлийн Банк" in footnote.text_mn
        assert "АХБ2" not in item("ulaanbaatar", "4").text_mn
        assert sorted(item("ulaanbaatar", "25").footnotes.values_list("mark", flat=True)) == ["4", "5"]


class TestPriorities:
    def test_levels_and_raw_text(self):
        assert (item("cami-pow", "1.1.4").priority, item("cami-pow", "1.1.4").priority_raw) == (
            Priority.HIGH_MEDIUM,
            "High/medium",
        )
        assert item("cami-pow", "1.6.3").priority == Priority.CONDITIONAL
        assert item("cami-pow", "1.6.3").priority_raw == "Following completion of gap analysis"

    def test_per_subitem_priority_in_1_3_1(self):
        levels = {sub.code: sub.priority for sub in item("cami-pow", "1.3.1").children.all()}
        assert levels == {
            "1.3.1 (a)": Priority.HIGH,
            "1.3.1 (b)": Priority.HIGH_MEDIUM,
            "1.3.1 (c)": Priority.HIGH_MEDIUM,
            "1.3.1 (d)": Priority.HIGH_MEDIUM,
            "1.3.1 (e)": Priority.MEDIUM,
            "1.3.1 (f)": Priority.MEDIUM,
        }

    def test_every_cami_activity_has_a_priority(self):
        assert not Item.objects.filter(instrument__slug="cami-pow", kind=Item.Kind.ACTIVITY, priority="").exists()

    def test_no_priority_invented_for_vilm_or_ulaanbaatar(self):
        assert not Item.objects.filter(instrument__slug__in=["vilm", "ulaanbaatar"]).exclude(priority="").exists()


class TestResponsibleParties:
    def test_structured_agencies_with_tbc_flag(self):
        activity = item("cami-pow", "1.1.6")
        assert activity.responsible_raw == "Government agencies, NGOs, TRAFFIC (tbc), CITES (tbc)"
        parties = {
            party.agency.key: party.to_be_confirmed for party in activity.responsible_parties.select_related("agency")
        }
        assert parties == {"government-agencies": False, "ngos": False, "traffic": True, "cites": True}

    def test_shared_cell_applies_to_each_activity_of_the_group(self):
        group = [item("cami-pow", code) for code in ("2.3.6", "2.3.7")]
        assert group[0].responsible_raw == group[1].responsible_raw
        assert agency_keys(group[0]) == agency_keys(group[1])

    def test_plus_note_is_honoured_on_its_activity_only(self):
        assert {"cms", "saiga-mou"} <= set(agency_keys(item("cami-pow", "2.3.8")))
        assert "saiga-mou" not in agency_keys(item("cami-pow", "2.3.7"))

    def test_vilm_named_bodies(self):
        solution = item("vilm", "1")
        assert agency_keys(solution) == ["mn-megd"]
        assert solution.responsible_parties.get().agency.acronym == "БОНХЯ"

    def test_subitems_and_actions_without_a_cell_take_their_parents(self):
        assert agency_keys(item("cami-pow", "1.3.1 (a)")) == agency_keys(item("cami-pow", "1.3.1"))


class TestTimelines:
    @pytest.mark.parametrize(
        "key, due, precision",
        [
            ("1.2", datetime.date(2013, 7, 31), DuePrecision.MONTH),  # "2013 оны 7 дугаар сар"
            ("1.3", datetime.date(2013, 9, 30), DuePrecision.MONTH),
            ("2.2", datetime.date(2015, 12, 31), DuePrecision.YEAR),  # "2015 он"
            ("2.3", datetime.date(2013, 8, 31), DuePrecision.SEASON),  # "2013 оны зун"
        ],
    )
    def test_parsed_due_dates(self, key, due, precision):
        action = item("vilm", key)
        assert (action.due, action.due_precision) == (due, precision)

    def test_ongoing(self):
        ongoing = Item.objects.filter(instrument__slug="vilm", timeline_raw="Хэрэгжиж байгаа")
        assert ongoing.exists()
        assert set(ongoing.values_list("due_precision", flat=True)) == {DuePrecision.ONGOING}

    def test_no_deadline_invented_for_cami(self):
        assert not Item.objects.filter(instrument__slug="cami-pow", due__isnull=False).exists()


class TestReportingUnits:
    def test_vilm_country_prefixes(self):
        assert unit_codes(item("vilm", "2.1")) == {"MN"}
        assert unit_codes(item("vilm", "2.3")) == {"KZ"}

    def test_ulaanbaatar_applies_to_mongolia(self):
        assert set(Item.objects.filter(instrument__slug="ulaanbaatar").values_list("applies_to__code", flat=True)) == {
            "MN"
        }

    def test_cami_landscapes_name_their_countries(self):
        # CMS is among the responsible of 2.1.1, so the Secretariat reports on it too.
        assert unit_codes(item("cami-pow", "2.1.1 (b)")) == {"KZ", "CN", "CMS"}
        assert unit_codes(item("cami-pow", "2.1.1 (h)")) == {"AF", "CN", "TJ", "PK", "CMS"}
        assert unit_codes(item("cami-pow", "2.4.2")) - {"CMS"} == {"CN", "BT", "IN", "NP", "PK"}

    def test_cami_default_is_every_range_state_and_cms_where_cms_is_responsible(self):
        range_states = {"AF", "BT", "CN", "IN", "IR", "KZ", "KG", "MN", "NP", "PK", "RU", "TJ", "TM", "UZ"}
        assert unit_codes(item("cami-pow", "1.1.1")) == range_states
        assert unit_codes(item("cami-pow", "1.3.2")) == range_states | {"CMS"}


class TestCrossReferences:
    def test_see_activity(self):
        reference = CrossReference.objects.get(source=item("cami-pow", "2.3.12"))
        assert (reference.target.key, reference.kind) == ("2.2.6", CrossReference.Kind.SEE)

    def test_as_reference(self):
        assert CrossReference.objects.filter(
            source=item("cami-pow", "2.3.15"), target=item("cami-pow", "1.3"), kind=CrossReference.Kind.AS
        ).exists()

    def test_same_commitment_across_instruments_both_ways(self):
        fences = item("cami-pow", "2.2.1")
        linked = {
            (reference.target.instrument.slug, reference.target.key)
            for reference in fences.references.filter(kind=CrossReference.Kind.SAME_COMMITMENT).select_related(
                "target__instrument"
            )
        }
        assert linked == {
            ("vilm", "1"),
            ("vilm", "2"),
            ("ulaanbaatar", "16"),
            ("ulaanbaatar", "21"),
            ("ulaanbaatar", "25"),
        }
        assert item("vilm", "1").references.filter(target=fences).exists()
