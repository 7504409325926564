"""A tax invoice as PDF (ofair_app/documents/pdf.py): everything a חשבונית מס must show, in
Hebrew read in its logical order, numbers and ₪ amounts intact, the Hebrew font embedded, and
PDF/A. Read back with poppler's `pdftotext` and `pdffonts`; rendered to PNG with `pdftoppm`
(kept in OFAIR_SHOTS_DIR when it is set, for a person to look at)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ofair_app.documents.pdf import DocumentView, Line, Party, render_pdf, shekels
from ofair_app.domain.tax import DocumentType, Totals, totals

D = Decimal

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="poppler-utils is not installed (./ofair test and .ci/run install it)")


def _invoice(**changes) -> DocumentView:
    view = DocumentView(
        document_type=DocumentType.tax_invoice, number=1042, issued_on=date(2026, 12, 1),
        issuer=Party(name="אופייר בע״מ", address="רחוב הרצל 1, תל אביב", dealer_number="515555555"),
        customer=Party(name="אינסטלציה אלון (2019)", address="הגפן 7, חיפה",
                       dealer_number="123456782"),
        lines=(Line("עמלת פלטפורמה, נובמבר 2026 (12 עבודות)", D("6250.00")),),
        totals=totals(D("6250.00"), date(2026, 12, 1), outside_vat=D("1200.00")),
        collected_for_others=(Line("דמי הפניה לשיפוצי רם", D("1200.00")),),
        allocation_number="123456789", period="נובמבר 2026")
    return DocumentView(**{**view.__dict__, **changes})


# pdftotext marks the direction of each run it extracts (U+202A–U+202E) and orders a number
# inside Hebrew by its own rules: the marks are dropped, and mixed runs are checked by part.
_DIRECTION_MARKS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.translate(_DIRECTION_MARKS)


def test_a_tax_invoice_shows_what_the_law_asks_in_hebrew(tmp_path) -> None:
    pdf = render_pdf(_invoice())
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf, tmp_path)
    for expected in ("חשבונית מס", "מקור", "1042", "01/12/2026", "אופייר בע״מ", "515555555",
                     "אינסטלציה אלון", "2019", "123456782", "הגפן", "חיפה", "עמלת פלטפורמה",
                     "עבודות", "₪6,250.00", "18%",
                     "₪1,125.00", "₪1,200.00", "₪8,575.00", "מספר הקצאה", "123456789",
                     "דמי הפניה לשיפוצי רם"):
        assert expected in text, expected
    assert "העתק" not in text


def test_a_copy_says_so_and_an_invoice_without_an_allocation_number_shows_none(tmp_path):
    text = _text(render_pdf(_invoice(original=False, allocation_number=None,
                                     collected_for_others=(),
                                     totals=totals(D("300.00"), date(2024, 12, 31)))),
                 tmp_path)
    assert "העתק" in text and "מקור" not in text
    assert "מספר הקצאה" not in text and "נגבה עבור אחרים" not in text
    assert "17%" in text and "₪351.00" in text


def test_a_receipt_shows_the_money_received_and_no_vat(tmp_path) -> None:
    paid = Line("תשלום חשבונית מס מס׳ 1042 (11/2026): כרטיס אשראי visa המסתיים ב-4242",
                D("8575.00"))
    text = _text(render_pdf(_invoice(
        document_type=DocumentType.receipt, number=77, lines=(), collected_for_others=(),
        payments=(paid,), allocation_number=None,
        totals=Totals(before_vat=D(0), rate=D(0), vat=D(0), outside_vat=D(0),
                      total=D("8575.00")))), tmp_path)
    for expected in ("קבלה", "מקור", "77", "01/12/2026", "אופייר בע״מ", "515555555",
                     "אינסטלציה אלון", "123456782", "פירוט התשלום", "1042", "4242",
                     "₪8,575.00", "סה״כ התקבל"):
        assert expected in text, expected
    assert "חשבונית מס/קבלה" not in text and "לפני מע״מ" not in text and "18%" not in text


def test_a_tax_invoice_receipt_shows_the_invoice_and_the_payment(tmp_path) -> None:
    paid = Line("כרטיס אשראי visa המסתיים ב-4242, חיוב מיום 02/12/2026", D("8575.00"))
    text = _text(render_pdf(_invoice(document_type=DocumentType.tax_invoice_receipt,
                                     payments=(paid,))), tmp_path)
    for expected in ("חשבונית מס/קבלה", "סה״כ לפני מע״מ", "18%", "₪8,575.00", "התקבל",
                     "4242", "מספר הקצאה"):
        assert expected in text, expected


def test_the_hebrew_font_is_embedded_and_the_file_is_pdf_a(tmp_path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(render_pdf(_invoice()))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts), fonts  # emb: every font
    assert any("CLM" in line for line in fonts), fonts
    metadata = subprocess.run(["pdfinfo", "-meta", str(path)], capture_output=True, text=True,
                              check=True).stdout
    assert 'pdfaid:part="3"' in metadata and 'pdfaid:conformance="B"' in metadata
    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(path), str(png)],
                   check=True)
    assert (tmp_path / "page.png").stat().st_size > 10_000
    shots = os.environ.get("OFAIR_SHOTS_DIR")
    if shots:
        shutil.copy(tmp_path / "page.png", Path(shots) / "tax-invoice.png")


def test_amounts_always_show_agorot():
    assert shekels(D("1250")) == "₪1,250.00"
    assert shekels(D("0.5")) == "₪0.50"


@pytest.mark.parametrize("amount", ["0", "0.01", "7.5", "1250", "999999.99", "1234567.89"])
def test_shekels_writes_what_babel_writes_for_hebrew(amount: str) -> None:
    from decimal import Decimal

    from babel.numbers import format_decimal

    from ofair_app.documents.pdf import shekels

    assert shekels(Decimal(amount)) == "₪" + format_decimal(Decimal(amount), format="#,##0.00",
                                                            locale="he_IL")
