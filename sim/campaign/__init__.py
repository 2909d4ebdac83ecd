"""The whole Mars Sample Return campaign in SIL (`msr run`)."""
from .runner import PHASES, CampaignResult, run_campaign

__all__ = ["PHASES", "CampaignResult", "run_campaign"]
