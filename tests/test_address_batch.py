"""The batch lookup's address fast path (layers.selectors.address_batch) is never more certain
than the per-row search: over the certainty corpus of tests/test_lookup_certainty.py (every
building of the frozen sample city in plain, spaced, numeral, traditional, noted, renumbered,
ranged, door-number, wrong-division, misspelled and initials forms, every compound alone), each
row the fast path answers has the per-row search's first candidate, and is certain only where the
per-row search is certain too; and it answers most plain forms itself (else the batch would be
as slow as the per-row path)."""

from collections import Counter

import pytest

from layers.selectors.address_batch import address_answers
from layers.selectors.address_search import address_candidates
from tests.test_lookup_certainty import corpus, sample_city  # noqa: F401 - the fixture


@pytest.mark.django_db
def test_the_fast_path_is_never_more_certain_than_the_per_row_search(sample_city):  # noqa: F811
    queries = corpus()
    # Plain forms with a unit and room, and with a phase-less alias: the batch's usual rows.
    answers = address_answers([q.q for q in queries])
    decided, certain, kinds = Counter(), Counter(), Counter(q.kind for q in queries)
    wrong = []
    for query, fast in zip(queries, answers, strict=True):
        if fast is None:
            continue
        decided[query.kind] += 1
        certain[query.kind] += fast.certain
        one = address_candidates(q=query.q, limit=5)
        top = one.candidates[0] if one.candidates else None
        same = top is not None and (top.building_code, top.xiaoqu_code) == (
            fast.building_code,
            fast.xiaoqu_code,
        )
        if (fast.certain and not one.certain) or not same:
            wrong.append(f"{query.q!r} ({query.kind}): fast {fast}, per row {one.certain} {top}")
            continue
        if fast.certain:
            assert (fast.lon, fast.lat) == (top.lon, top.lat)
    print(
        f"\naddress fast path over {len(queries)} queries: answered {sum(decided.values())} "
        f"({sum(certain.values())} certain); "
        + ", ".join(f"{k} {decided[k]}/{n}" for k, n in sorted(kinds.items()))
    )
    assert not wrong, "\n".join(wrong[:40])
    assert certain["plain"] >= 0.9 * kinds["plain"]
    assert certain["unit and room"] >= 0.9 * kinds["unit and room"]
    # Forms that need more than the plain reading are always asked one by one.
    for kind in ("range", "wrong district", "wrong street", "wrong community", "pinyin initials"):
        assert decided[kind] == 0, kind
    assert certain["building the compound lacks"] == 0
