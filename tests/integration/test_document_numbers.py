"""Tax-document numbers (migration 0014_document_numbers, services/tax_documents.py): per
type, from 1, with no gap and never reused, whatever rolls back and however many issue at
once; and only the platform numbers documents or reads the counters."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain.tax import DocumentType
from ofair_app.models import UserRole
from ofair_app.services import tax_documents
from tests.factories import caller_for, make_professional, make_user
from tests.integration.test_rls_identity import count, refused, rows_changed


class _Abandoned(Exception):
    """The document that took a number was not written after all."""


def test_numbers_run_per_type_from_one_and_a_rollback_gives_its_number_back(db) -> None:
    with unit_of_work(SYSTEM) as session:
        first = [tax_documents.next_number(session, DocumentType.tax_invoice) for _ in range(3)]
        credit = tax_documents.next_number(session, DocumentType.credit_note)
    assert first == [1, 2, 3] and credit == 1
    with pytest.raises(_Abandoned), unit_of_work(SYSTEM) as session:
        assert tax_documents.next_number(session, DocumentType.tax_invoice) == 4
        raise _Abandoned
    with unit_of_work(SYSTEM) as session:
        assert tax_documents.next_number(session, DocumentType.tax_invoice) == 4


def test_documents_issued_at_once_get_every_number_once_with_no_gap(db) -> None:
    taken: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def issue(index: int) -> None:
        barrier.wait()
        for attempt in range(5):
            try:
                with unit_of_work(SYSTEM) as session:
                    number = tax_documents.next_number(session, DocumentType.tax_invoice_receipt)
                    if (index + attempt) % 3 == 0:  # every third document is abandoned
                        raise _Abandoned
            except _Abandoned:
                continue
            with lock:
                taken.append(number)

    threads = [threading.Thread(target=issue, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(taken) == list(range(1, len(taken) + 1))
    assert len(taken) == sum(1 for index in range(8) for attempt in range(5)
                             if (index + attempt) % 3 != 0)


def test_only_the_platform_numbers_documents_or_reads_the_counters(db) -> None:
    with unit_of_work(SYSTEM) as session:
        tax_documents.next_number(session, DocumentType.receipt)
    _, owner = make_professional(business_name="חשמל דני")
    outsiders = [caller_for(make_user(name="זר")), caller_for(owner), ANONYMOUS]
    for caller in outsiders:
        assert refused(caller, "SELECT next_document_number(CAST(400 AS smallint))")
        assert count(caller, "SELECT * FROM document_counters") == 0
        assert rows_changed(caller, "UPDATE document_counters SET last_number = 1") == 0
        assert refused(caller, "INSERT INTO document_counters VALUES (305, 99)")
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    assert count(admin, "SELECT * FROM document_counters") == 1
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT last_number FROM document_counters"
                                    " WHERE document_type = 400")).scalar_one() == 1
