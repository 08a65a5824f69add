"""Delivery preferences (通知偏好): channels, addresses and quiet hours of each user."""

from __future__ import annotations

from juanzong_notifier.adapters.repository import Repositories
from juanzong_notifier.domain.errors import AccessRefused
from juanzong_notifier.domain.preferences import UserPreferences


class PreferenceService:
    def __init__(self, reads: Repositories) -> None:
        self.reads = reads

    async def of(self, user_id: str) -> UserPreferences:
        return await self.reads.preferences.get(user_id) or UserPreferences.default(user_id)

    async def set(self, prefs: UserPreferences, *, by: str) -> UserPreferences:
        """Store ``prefs``. Addresses only their user sets: a notice names the case and its deadline, and an
        address set by someone else would send it to someone else."""
        if prefs.user_id != by:
            current = await self.of(prefs.user_id)
            if prefs.email != current.email or prefs.webhook_url != current.webhook_url:
                raise AccessRefused("通知的邮箱和推送地址只能由本人设置（通知载有案件信息，只送达本人）")
        await self.reads.preferences.put(prefs)
        return prefs
