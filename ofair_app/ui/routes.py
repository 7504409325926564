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

ADMIN_HOME = "/admin"
ADMIN_PROFESSIONALS = "/admin/professionals"
ADMIN_LEADS = "/admin/leads"
ADMIN_PAYOUTS = "/admin/payouts"
ADMIN_DISPUTES = "/admin/disputes"

# Reflex serves this page for every unknown address.
NOT_FOUND = "404"
