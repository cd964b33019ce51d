"""The one place that reads which protocol a campaign runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ionmd.campaign.protocols.adaptive_protocol import AdaptiveProtocol
from ionmd.campaign.protocols.interface import CampaignProtocol
from ionmd.campaign.protocols.study_protocol import StudyProtocol

if TYPE_CHECKING:
    from ionmd.campaign.config import CampaignConfig


def protocol_of(config: CampaignConfig) -> CampaignProtocol:
    """The protocol ``config`` asks for (``protocol = "study" | "adaptive"``):
    the campaign calls its methods at each boundary instead of testing which it is."""
    if config.adaptive is None:
        return StudyProtocol(config=config)
    return AdaptiveProtocol(config=config, settings=config.adaptive)


__all__ = ["protocol_of"]
