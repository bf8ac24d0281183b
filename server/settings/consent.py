"""The settings section of consented media (``[consent]``, consent/, docs/media.md).

A kiosk's screen share and a video age check: how long each lasts, how long a prompt waits, and
where an approved age check is announced.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from consent import ConsentError, ConsentPolicy


class ConsentSettings(BaseModel):
    """What the consent service and the POS webhook are built with (server/media/consent.py)."""

    model_config = {"extra": "forbid"}

    #: how long a kiosk's screen share lasts after one tap; at most 300 (refused above)
    screen_share_seconds: float = Field(300.0, gt=0)
    #: how long a consent prompt waits for an answer before it counts as declined
    answer_seconds: float = Field(30.0, gt=0)
    #: how long the camera of a video age check may be seen by the agent; at most 180
    age_check_seconds: float = Field(180.0, gt=0)
    #: how often the timer looks for grants whose time is up (the relay's per-frame check is
    #: exact; this bounds how late the end is announced)
    tick_seconds: float = Field(0.1, gt=0, le=1)
    #: where approved age checks are announced (signed POST); empty = no webhook
    pos_webhook_url: str = ""
    #: the HMAC-SHA256 secret shared with the POS (needed when pos_webhook_url is set)
    pos_webhook_secret: str = ""

    @model_validator(mode="after")
    def _within_the_caps(self) -> ConsentSettings:
        # the consent package owns the caps (5 min screen share, 3 min age check)
        try:
            self.policy()
        except ConsentError as error:
            raise ValueError(error.message) from None
        if self.pos_webhook_url and not self.pos_webhook_secret:
            raise ValueError("pos_webhook_url needs pos_webhook_secret (the HMAC key)")
        return self

    def policy(self) -> ConsentPolicy:
        """The consent package's policy with these durations (raises ConsentError past a cap)."""
        return ConsentPolicy(screen_share_seconds=self.screen_share_seconds,
                             age_check_seconds=self.age_check_seconds,
                             answer_timeout_seconds=self.answer_seconds)
