"""Which steps each party may take on a lead (domain/lead_actions.py)."""

from __future__ import annotations

import pytest

from ofair_app.domain.lead_actions import (
    LeadAction,
    LeadSituation,
    NotYourStep,
    ViewerRole,
    actions_for,
    allowed_actions,
    payment_step,
    require,
    viewer_role,
)
from ofair_app.domain.leads import LeadStatus, LeadType
from ofair_app.domain.proposals import ProposalStatus

A = LeadAction
CONSUMER, REFERRAL = LeadType.consumer, LeadType.professional_referral


def situation(status: LeadStatus, lead_type: LeadType = CONSUMER, **more) -> LeadSituation:
    return LeadSituation(lead_type=lead_type, status=status, **more)


@pytest.mark.parametrize(("owns", "lead_type", "performs", "proposed", "admin", "role"), [
    (True, CONSUMER, False, False, False, ViewerRole.client),
    (True, REFERRAL, False, False, False, ViewerRole.referrer),
    (False, REFERRAL, True, True, False, ViewerRole.performer),
    (False, CONSUMER, False, True, False, ViewerRole.proposer),
    (False, CONSUMER, False, False, True, ViewerRole.admin),
    (False, CONSUMER, False, False, False, ViewerRole.visitor),
])
def test_the_viewers_role(owns, lead_type, performs, proposed, admin, role) -> None:
    assert viewer_role(owns=owns, lead_type=lead_type, performs=performs, proposed=proposed,
                       is_admin=admin) == role


def test_after_the_award_the_client_pays_and_the_referrer_sends_the_link() -> None:
    client = allowed_actions(ViewerRole.client, situation(LeadStatus.awarded))
    referrer = allowed_actions(ViewerRole.referrer, situation(LeadStatus.awarded, REFERRAL))
    assert A.pay in client and A.send_payment_link not in client
    assert A.send_payment_link in referrer and A.pay not in referrer
    for owner in (client, referrer):
        assert {A.view_performer, A.change_price, A.cancel_award, A.cancel_lead} <= owner
    performer = allowed_actions(ViewerRole.performer, situation(LeadStatus.awarded, REFERRAL))
    assert performer == {A.view_client, A.change_price, A.decline_award}
    assert payment_step(ViewerRole.performer) is None


@pytest.mark.parametrize("status", list(LeadStatus))
def test_nobody_but_an_owner_ever_pays_or_sees_the_winner_as_owner(status) -> None:
    for role in (ViewerRole.performer, ViewerRole.proposer, ViewerRole.visitor):
        actions = allowed_actions(role, situation(status, REFERRAL, paid=True))
        assert not {A.pay, A.send_payment_link, A.view_performer, A.choose_proposal,
                    A.confirm_done, A.cancel_lead, A.refer} & actions, (role, status)


def test_the_winner_card_stands_with_the_award_only() -> None:
    for status in LeadStatus:
        shown = A.view_performer in allowed_actions(ViewerRole.client, situation(status))
        assert shown == (status not in (LeadStatus.active, LeadStatus.cancelled)), status


def test_only_the_parties_dispute_held_money_before_its_release() -> None:
    held = situation(LeadStatus.completed, paid=True)
    for role in (ViewerRole.client, ViewerRole.performer):
        assert A.open_dispute in allowed_actions(role, held)
    assert A.open_dispute not in allowed_actions(ViewerRole.visitor, held)
    released = situation(LeadStatus.closed, paid=True, released=True)
    assert A.open_dispute not in allowed_actions(ViewerRole.client, released)
    assert A.open_dispute not in allowed_actions(ViewerRole.client,
                                                 situation(LeadStatus.in_progress))


def test_steps_through_the_job() -> None:
    assert A.mark_done in allowed_actions(ViewerRole.performer, situation(LeadStatus.in_progress))
    assert A.confirm_done in allowed_actions(ViewerRole.client, situation(LeadStatus.completed))
    assert A.confirm_done not in allowed_actions(ViewerRole.performer,
                                                 situation(LeadStatus.completed))
    assert A.refer in allowed_actions(ViewerRole.referrer, situation(LeadStatus.active, REFERRAL))
    assert A.refer not in allowed_actions(ViewerRole.client, situation(LeadStatus.active))


def test_a_proposer_withdraws_a_pending_proposal_or_proposes_again() -> None:
    pending = situation(LeadStatus.active, my_proposal=ProposalStatus.pending)
    assert allowed_actions(ViewerRole.proposer, pending) == {A.withdraw_proposal}
    withdrawn = situation(LeadStatus.active, my_proposal=ProposalStatus.withdrawn)
    assert allowed_actions(ViewerRole.proposer, withdrawn) == {A.propose}
    assert allowed_actions(ViewerRole.visitor, situation(LeadStatus.awarded)) == frozenset()


def test_require_refuses_a_step_that_is_not_the_viewers() -> None:
    referrer = actions_for(ViewerRole.referrer, situation(LeadStatus.awarded, REFERRAL))
    require(referrer, A.send_payment_link)
    with pytest.raises(NotYourStep) as refused:
        require(referrer, A.pay)
    assert refused.value.status == 403 and refused.value.code == "not_your_step"
