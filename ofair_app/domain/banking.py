"""Israeli bank account details, as a payout file needs them: a bank code the Bank of Israel
lists, a three-digit branch, an account number of up to nine digits. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from ofair_app.domain.errors import InvalidInput

# Bank codes in use (Bank of Israel's list of banks and the Postal Bank), with their names.
BANKS: dict[str, tuple[str, str]] = {
    "04": ("בנק יהב", "Bank Yahav"), "09": ("בנק הדואר", "Postal Bank"),
    "10": ("בנק לאומי", "Bank Leumi"), "11": ("בנק דיסקונט", "Discount Bank"),
    "12": ("בנק הפועלים", "Bank Hapoalim"), "13": ("בנק אגוד", "Union Bank"),
    "14": ("בנק אוצר החייל", "Otsar Ha-Hayal"), "17": ("בנק מרכנתיל", "Mercantile Bank"),
    "18": ("One Zero", "One Zero"), "20": ("בנק מזרחי טפחות", "Mizrahi-Tefahot"),
    "22": ("Citibank", "Citibank"), "23": ("HSBC", "HSBC"),
    "26": ("יובנק", "UBank"), "31": ("הבנק הבינלאומי", "First International Bank"),
    "34": ("בנק ערבי ישראלי", "Arab Israel Bank"), "46": ("בנק מסד", "Bank Massad"),
    "52": ("בנק פועלי אגודת ישראל", "Poalei Agudat Israel"),
    "54": ("בנק ירושלים", "Bank of Jerusalem"),
}


@dataclass(frozen=True)
class BankAccount:
    bank_code: str
    branch: str
    account: str
    holder: str


def _digits(raw: str) -> str:
    return "".join(ch for ch in (raw or "") if not ch.isspace() and ch != "-")


def parse_bank_account(bank_code: str, branch: str, account: str, holder: str) -> BankAccount:
    """Every field checked, all bad ones named at once."""
    fields: dict[str, str] = {}
    code = _digits(bank_code).zfill(2)
    if code not in BANKS:
        fields["bank_code"] = "errors.bank.code"
    branch_digits = _digits(branch)
    if not (branch_digits.isdigit() and 1 <= len(branch_digits) <= 3):
        fields["branch"] = "errors.bank.branch"
    account_digits = _digits(account)
    if not (account_digits.isdigit() and 2 <= len(account_digits) <= 9):
        fields["account"] = "errors.bank.account"
    name = " ".join((holder or "").split())
    if not 2 <= len(name) <= 120:
        fields["account_holder"] = "errors.bank.holder"
    if fields:
        raise InvalidInput(fields=fields)
    return BankAccount(bank_code=code, branch=branch_digits.zfill(3), account=account_digits,
                       holder=name)
