"""A lead's conversations: one thread per lead and proposing business, text only.

The two sides are the lead's owner (the consumer, or every member of the business that owns a
pro lead) and the proposing business's members. Until the owner awards the lead to this
business, contact details in the messages are hidden for both sides (`domain.masking`): the
client's details change hands through the award, which is logged, and not around it.
"""

from __future__ import annotations

from enum import StrEnum

MESSAGE_MAX_CHARS = 2000
# How long a page open on a thread counts as "the person is there" after its last sign of
# life (the open page renews it every minute); meanwhile a new message is not notified.
PRESENT_SECONDS = 150


class Side(StrEnum):
    owner = "owner"  # the lead's owner: the consumer, or the owning business's members
    pro = "pro"  # the proposing business's members


SIDES: tuple[Side, ...] = tuple(Side)


def other(side: Side) -> Side:
    return Side.pro if side == Side.owner else Side.owner
