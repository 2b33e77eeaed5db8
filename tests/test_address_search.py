"""Address search over the frozen tiny city: a corpus of addresses as residents say them, each
of which must find its building (or compound) first; and queries that are no address at all."""

from pathlib import Path

import pytest
from django.db import connection

from fixtures.demo_city.sample import SAMPLE_PATH, plan_read
from geo.city_profile import city_profile
from geo.errors import BadRequest
from layers.models import CompoundAlias, Xiaoqu
from layers.selectors.address_search import AddressResult, address_candidates
from tests.demo_city_support import city_loaded

CORPUS = Path(__file__).resolve().parent / "corpus" / "address_variants.tsv"
# Names residents use that the frozen sample lacks (it has one alias): old names, a developer's
# name, a phase word. Added here so the sample stays frozen.
EXTRA_ALIASES = {
    "福恒花园": "福恒一期",
    "东万城": "东万新城",
    "长航家属院": "长航宿舍",
    "水利厅生活区": "水利厅宿舍",
    "江泰安置小区": "江泰还建小区",
    "鹉绣新村": "鹉绣小区",
}


def corpus_rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines()[1:]:
        if line.startswith("#") or line.startswith("query\t") or not line.strip():
            continue
        query, expected, kind = line.split("\t")
        rows.append((query, expected, kind))
    return rows


@pytest.fixture(scope="module")
def sample_city(django_db_setup, django_db_blocker):
    plan, _srid = plan_read(SAMPLE_PATH)
    with city_loaded(django_db_blocker, plan):
        with django_db_blocker.unblock():
            for name, alias in EXTRA_ALIASES.items():
                CompoundAlias.objects.create(xiaoqu=Xiaoqu.objects.get(name=name), alias=alias)
        yield plan


def top_code(result: AddressResult) -> str | None:
    if not result.candidates:
        return None
    top = result.candidates[0]
    return top.building_code if top.level == "building" else top.xiaoqu_code


def test_corpus_is_large_and_its_codes_exist(sample_city):
    rows = corpus_rows()
    assert len(rows) >= 150
    assert len({q for q, _, _ in rows}) == len(rows)  # no query twice
    codes = {b["code"] for b in sample_city.buildings} | {x["code"] for x in sample_city.xiaoqus}
    assert {e for _, e, _ in rows} <= codes


@pytest.mark.django_db
def test_every_corpus_address_finds_its_place_first(sample_city):
    misses, certain = [], 0
    rows = corpus_rows()
    for query, expected, kind in rows:
        result = address_candidates(q=query, limit=5)
        got = top_code(result)
        if got != expected:
            misses.append(f"{query!r} ({kind}): expected {expected}, got {got}")
        certain += result.certain and got == expected
    hits = len(rows) - len(misses)
    print(f"\naddress corpus: {hits}/{len(rows)} found first, {certain} of them certain")
    assert not misses, "\n".join(misses)


@pytest.mark.django_db
def test_exact_compound_and_building_is_certain(sample_city):
    result = address_candidates(q="江岸区恒润街40号紫晴小区3栋")
    top = result.candidates[0]
    assert result.certain
    assert (top.level, top.xiaoqu_name, top.building_name, top.score) == (
        "building",
        "紫晴小区",
        "3栋",
        1.0,
    )
    assert top.address == "江岸区恒润街40号紫晴小区3栋"
    assert 113 < top.lon < 116 and 29 < top.lat < 32  # EPSG:4326 degrees near Wuhan


@pytest.mark.django_db
def test_compound_level_when_no_building_is_typed(sample_city):
    result = address_candidates(q="福恒花园")
    top = result.candidates[0]
    assert result.certain
    assert (top.level, top.building_id, top.xiaoqu_name) == ("xiaoqu", None, "福恒花园")
    assert top.address == "江岸区恒润街42号福恒花园"  # the compound's address, no building


@pytest.mark.django_db
def test_building_outside_compounds_has_no_compound(sample_city):
    top = address_candidates(q="时长路38号").candidates[0]
    assert (top.level, top.xiaoqu_id, top.building_name) == ("building", None, "时长路38号楼")


@pytest.mark.django_db
def test_missing_building_falls_back_to_the_compound_uncertain(sample_city):
    result = address_candidates(q="紫晴小区99栋")
    assert result.candidates[0].level == "xiaoqu"
    assert result.candidates[0].score < 1
    assert not result.certain


@pytest.mark.django_db
def test_short_name_is_found_but_not_certain_when_two_compounds_share_it(sample_city):
    # 恒润街 has three compounds: the road alone cannot say which.
    result = address_candidates(q="恒润街")
    assert {c.xiaoqu_name for c in result.candidates} >= {"紫晴小区", "福恒花园", "中建小区"}
    assert not result.certain


@pytest.mark.django_db
def test_scores_are_ranked_in_unit_interval_and_limit_holds(sample_city):
    result = address_candidates(q="花园3栋", limit=3)
    assert 1 <= len(result.candidates) <= 3
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)


@pytest.mark.django_db
def test_two_statements_per_query(sample_city, django_assert_num_queries):
    # The search, then the divisions and grids of the few candidates it kept. (The city profile,
    # which names the city an address may start with, is read once a minute, not per query.)
    city_profile()
    with django_assert_num_queries(2):
        address_candidates(q="紫晴小区3栋2单元501")
    with django_assert_num_queries(1):  # nothing found: nothing to judge
        address_candidates(q="完全没有的地方")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("湖" * 500, "500 characters"),
        ("!!!???。。。", "no Chinese characters, letters or digits"),
        ("😀🏠🙂", "no Chinese characters, letters or digits"),
        ("3栋2单元501", "no compound or road"),
    ],
)
def test_queries_that_are_no_address_are_clear_errors(sample_city, q, message):
    with pytest.raises(BadRequest, match=message):
        address_candidates(q=q)


def odd_answer(q: str) -> str:
    """What the search made of `q`, in one word: refused (a 400 saying what to type instead),
    nothing, a guess (candidates, none certain), or the certain compound and building."""
    try:
        result = address_candidates(q=q)
    except BadRequest as exc:
        assert "e.g." in exc.message, exc.message  # says what to type instead
        return "refused"
    if not result.candidates:
        return "nothing"
    if not result.certain:
        return "a guess"
    top = result.candidates[0]
    return f"{top.xiaoqu_name}{top.building_name}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("q", "answer"),
    [
        ("'; DROP TABLE layers_address; --", "nothing"),
        ("1' OR '1'='1", "a guess"),  # text, not SQL: only its digits match, never certainly
        ("%_%\\", "refused"),  # LIKE wildcards are text too: nothing left to search for
        ("SELECT * FROM layers_building", "nothing"),
        ("紫晴小区😀3栋", "紫晴小区3栋"),  # the emoji is read past
        ("ＡＢＣ", "nothing"),
        ("9" * 99, "refused"),  # a number alone names no compound or road
    ],
)
def test_odd_queries_answer_without_failing(sample_city, q, answer):
    assert odd_answer(q) == answer
    with connection.cursor() as cur:  # and nothing was dropped
        cur.execute("SELECT count(*) FROM layers_address")
        assert cur.fetchone()[0] == len(sample_city.addresses)
