"""The campaign's protocols behind one interface (:class:`CampaignProtocol`):
the study's fixed batches and the adaptive in-flight batch, picked once from the
config by :func:`protocol_of`."""

from ionmd.campaign.protocols.adaptive_protocol import AdaptiveProtocol
from ionmd.campaign.protocols.interface import CampaignProtocol, PlanProjection
from ionmd.campaign.protocols.pick import protocol_of
from ionmd.campaign.protocols.study_protocol import StudyProtocol

__all__ = [
    "AdaptiveProtocol",
    "CampaignProtocol",
    "PlanProjection",
    "StudyProtocol",
    "protocol_of",
]
