"""The sandbox Tax Authority: allocation numbers made up locally, no network.

The same request always gets the same nine-digit number (a hash of the invoice number and both
dealer numbers), so tests and demos can predict it and a retry changes nothing. A customer
dealer number in `REFUSED_CUSTOMERS` is refused with the reason given there, which is how the
held-invoice path is shown without the real Authority. Requests are checked exactly as for the
real one (`check_request`), so a bad dealer number fails here first.
"""

from __future__ import annotations

import hashlib

from ofair_app.adapters.invoices import (
    AllocationRefused,
    AllocationRequest,
    AllocationResult,
    check_request,
)

# Customer dealer numbers (valid check digits) the sandbox refuses: number → (code, reason).
REFUSED_CUSTOMERS = {
    "999999998": ("sandbox_refused", "The customer is not an active licensed dealer "
                                     "(sandbox refusal)"),
}


def allocation_number(request: AllocationRequest) -> str:
    """The sandbox's number for a request: nine digits from a hash of what identifies it."""
    key = f"{request.invoice_number}|{request.vat_number}|{request.customer_vat_number}"
    digest = hashlib.sha256(key.encode()).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**9:09d}"


class SandboxAuthority:
    name = "sandbox"

    def request_allocation(self, request: AllocationRequest) -> AllocationResult:
        check_request(request)
        refusal = REFUSED_CUSTOMERS.get(request.customer_vat_number)
        if refusal is not None:
            raise AllocationRefused(AllocationResult(reason_code=refusal[0], reason=refusal[1]))
        return AllocationResult(allocation_number=allocation_number(request))
