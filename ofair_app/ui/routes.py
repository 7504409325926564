"""Every route of the UI in one place."""

HOME = "/"
HOW_IT_WORKS = "/#how"
FOR_PROS = "/#pros"
LOGIN = "/login"

PRO_HOME = "/pro"
PRO_MY_LEADS = "/pro/my-leads"
PRO_REFERRALS = "/pro/referrals"
PRO_WALLET = "/pro/wallet"
PRO_PROFILE = "/pro/profile"
PRO_ONBOARDING = "/pro/onboarding"
PRO_TEAM = "/pro/team"

# A business's public page.
PUBLIC_PRO = "/pros/[professional_id]"


def public_pro(professional_id: object) -> str:
    return f"/pros/{professional_id}"


ADMIN_HOME = "/admin"
ADMIN_PROFESSIONALS = "/admin/professionals"
ADMIN_LEADS = "/admin/leads"
ADMIN_PAYOUTS = "/admin/payouts"
ADMIN_DISPUTES = "/admin/disputes"

# Reflex serves this page for every unknown address.
NOT_FOUND = "404"
