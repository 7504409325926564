"""Every route of the UI in one place."""

HOME = "/"
HOW_IT_WORKS = "/#how"
FOR_PROS = "/#pros"
LOGIN = "/login"
REQUEST_FORM = "/#request"

# The accessibility statement (Service Accessibility Regulations 2013, reg. 35), in every footer.
ACCESSIBILITY = "/accessibility"

# A consumer's own requests.
MY_REQUESTS = "/my/requests"
MY_REQUEST = "/my/requests/[lead_id]"


def my_request(lead_id: object, sent: bool = False) -> str:
    return f"/my/requests/{lead_id}" + ("?sent=1" if sent else "")


# The privacy notice and the terms of service (versioned documents, policies.py), and the
# one-click link in marketing messages that stops them.
PRIVACY = "/privacy"
TERMS = "/terms"
UNSUBSCRIBE = "/unsubscribe"

# Everyone's own account: name, e-mail, language, logout.
ACCOUNT = "/account"
# Everyone's notification center (the bell in every shell); how to be told is on ACCOUNT.
NOTIFICATIONS = "/notifications"

# A conversation between a lead's owner and one business (both sides, and admins reading).
CHAT = "/messages/[thread_id]"


def chat(thread_id: object) -> str:
    return f"/messages/{thread_id}"


# Team invitations addressed to the signed-in person (the link in the invitation SMS).
INVITATIONS = "/invitations"

PRO_HOME = "/pro"
PRO_MY_LEADS = "/pro/my-leads"
PRO_REFERRALS = "/pro/referrals"
PRO_WALLET = "/pro/wallet"
PRO_INVOICES = "/pro/invoices"  # b2b mode: takes the wallet's place
PRO_PROFILE = "/pro/profile"
PRO_PLAN = "/pro/plan"
PRO_ONBOARDING = "/pro/onboarding"
PRO_TEAM = "/pro/team"
PRO_CHECK_IN = "/pro/check-in"
PRO_LEAD_NEW = "/pro/leads/new"
# The clients a business unlocked on direct-contact leads, their claims and documents.
PRO_UNLOCKS = "/pro/unlocks"
PRO_LEAD = "/pro/leads/[lead_id]"


def pro_lead(lead_id: object) -> str:
    return f"/pro/leads/{lead_id}"


# A business's public page.
PUBLIC_PRO = "/pros/[professional_id]"


def public_pro(professional_id: object) -> str:
    return f"/pros/{professional_id}"


ADMIN_HOME = "/admin"
ADMIN_PROFESSIONALS = "/admin/professionals"
ADMIN_PAYOUTS = "/admin/payouts"
ADMIN_DISPUTES = "/admin/disputes"
# Businesses' refund claims of unlocked clients that wait for an admin.
ADMIN_UNLOCK_CLAIMS = "/admin/unlock-claims"
ADMIN_FINANCE = "/admin/finance"
ADMIN_COMMISSION = "/admin/commission-rules"
ADMIN_AUDIT = "/admin/audit"
ADMIN_USERS = "/admin/users"
ADMIN_LEADS = "/admin/leads"
ADMIN_REPORTS = "/admin/reports"

# The client's link from a business's "never asked" refund claim (no login: the link is the
# proof).
UNLOCK_CHECK = "/unlock-check/[token]"

# Reflex serves this page for every unknown address.
NOT_FOUND = "404"
