"""The workforce's pure rules: a certificate's validity (its expiry day included), its state, when its notice
falls due; and the ledger's certificate filter in SQL agreeing with the rule for one worker on every day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuangan.registry.rules import card_code_problem
from kuangan.workforce import rules
from kuangan.workforce.choices import CertificateFilter, CertificateState

ISSUED, EXPIRES = date(2022, 7, 1), date(2024, 6, 30)


def test_a_certificate_is_valid_on_its_expiry_day_and_not_the_day_after():
    assert rules.certificate_valid(ISSUED, EXPIRES, EXPIRES)
    assert not rules.certificate_valid(ISSUED, EXPIRES, EXPIRES + timedelta(days=1))
    assert rules.certificate_valid(ISSUED, EXPIRES, ISSUED)
    assert not rules.certificate_valid(ISSUED, EXPIRES, ISSUED - timedelta(days=1))


@pytest.mark.parametrize("day, state", [
    (date(2022, 6, 30), CertificateState.NOT_YET_VALID),
    (date(2022, 7, 1), CertificateState.VALID),
    (date(2024, 5, 30), CertificateState.VALID),  # 31 days before
    (date(2024, 5, 31), CertificateState.EXPIRING),  # 30 days before
    (date(2024, 6, 30), CertificateState.EXPIRING),  # its last day: still valid
    (date(2024, 7, 1), CertificateState.EXPIRED),
])
def test_certificate_state_at_its_boundaries(day, state):
    assert rules.certificate_state(ISSUED, EXPIRES, day, 30) == state


def test_certificate_dates_must_be_in_order():
    assert rules.certificate_problem(ISSUED, ISSUED) is None  # a one-day certificate
    assert rules.certificate_problem(EXPIRES, ISSUED) == "有效期不能早于发证日期。"
    assert rules.certificate_problem(None, EXPIRES) == "请填写发证日期和有效期。"


def test_the_notice_is_due_30_days_before_and_stamped_at_the_start_of_that_day():
    assert rules.notice_due_on(EXPIRES, 30) == date(2024, 5, 31)
    assert not rules.needs_notice(EXPIRES, date(2024, 1, 1), date(2024, 5, 30), 30)
    assert rules.needs_notice(EXPIRES, date(2024, 1, 1), date(2024, 5, 31), 30)
    assert rules.needs_notice(EXPIRES, date(2024, 1, 1), date(2024, 8, 1), 30)  # a late tick still tells it
    assert not rules.needs_notice(EXPIRES, date(2024, 7, 1), date(2024, 7, 1), 30)  # recorded lapsed: history
    assert rules.notice_stamp(EXPIRES, date(2024, 1, 1), 30) == datetime(2024, 5, 31)
    assert rules.notice_stamp(EXPIRES, date(2024, 6, 10), 30) == datetime(2024, 6, 10)  # recorded inside the window


def test_a_renewed_certificate_is_superseded_and_not_flagged():
    old = rules.CertificateFacts("blasting", ISSUED, EXPIRES)
    new = rules.CertificateFacts("blasting", date(2024, 6, 1), date(2030, 5, 31))
    other = rules.CertificateFacts("gas_inspection", ISSUED, EXPIRES)
    assert rules.superseded(old, [old, new, other]) and not rules.superseded(new, [old, new, other])
    assert not rules.superseded(other, [old, new, other])
    day = date(2024, 7, 15)
    assert rules.worker_flags([old, new], True, day, 30) == set()
    assert rules.worker_flags([old, new, other], True, day, 30) == {CertificateFilter.EXPIRED}
    assert rules.worker_flags([old], True, day, 30) == {CertificateFilter.EXPIRED, CertificateFilter.UNCERTIFIED}
    assert rules.worker_flags([], False, day, 30) == set()
    assert rules.worker_flags([], True, day, 30) == {CertificateFilter.UNCERTIFIED}
    assert rules.worker_flags([old], False, date(2024, 6, 30), 30) == {CertificateFilter.EXPIRING}


@pytest.mark.parametrize("card, ok", [
    ("141129000100001", True), ("1411290001ABC12", True), ("141181000100001", False), ("14112900010001", False),
    ("1411290001000012", False), ("1411290001000 1", False), ("1411290001０００01", False),
])
def test_a_card_is_the_mine_code_and_five_characters(card, ok):
    assert (card_code_problem(card, "1411290001") is None) == ok


# --- the ledger's filter in SQL agrees with the rule --------------------------------------------------------

DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 12, 31))
CERTS = st.lists(st.tuples(st.sampled_from(["blasting", "gas_inspection"]), DAYS, st.integers(0, 400)), max_size=3)


@st.composite
def certs_and_day(draw):  # type: ignore[no-untyped-def]
    """Certificates and a day, the day often on a boundary of one of them (issue, expiry, the notice's first day)."""
    certs = draw(CERTS)
    edges = [issued + timedelta(days=length + d) for _k, issued, length in certs for d in (-31, -30, 0, 1)]
    edges += [issued + timedelta(days=d) for _k, issued, _length in certs for d in (-1, 0)]
    day = draw(st.sampled_from(edges) | DAYS if edges else DAYS)
    return certs, day


@pytest.mark.django_db
@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=certs_and_day(), special=st.booleans())
def test_the_ledger_filter_agrees_with_the_rule(drawn, special):  # type: ignore[no-untyped-def]
    """Every worker, every day: the SQL of each certificate filter selects the worker exactly when
    rules.worker_flags says so (boundary days included: issue, expiry, 30 days before)."""
    from django.db import transaction

    from kuangan.registry.models import Mine
    from kuangan.testing import make_enterprise, make_mine
    from kuangan.workforce.models import OperatorCertificate, Worker
    from kuangan.workforce.queries import certificate_q

    certs, day = drawn
    with transaction.atomic():
        mine = Mine.objects.first() or make_mine("1411290001", "甲一煤矿", make_enterprise("甲", "141129"), "141129")
        worker = Worker.objects.create(mine=mine, card_code="141129000100001", name="张三", special_flag=special)
        facts = []
        for n, (kind, issued, length) in enumerate(certs):
            expires = issued + timedelta(days=length)
            OperatorCertificate.objects.create(worker=worker, operation_type=kind, number=f"N{n}", issued=issued,
                                               expires=expires, recorded_on=issued)
            facts.append(rules.CertificateFacts(kind, issued, expires))
        expected = rules.worker_flags(facts, special, day, 30)
        for choice in CertificateFilter:
            found = Worker.objects.filter(pk=worker.pk).filter(certificate_q(choice, day, 30)).exists()
            assert found == (choice in expected), (choice, facts, day)
        transaction.set_rollback(True)
