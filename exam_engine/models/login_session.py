"""Signed-in sessions kept on the server (the default store; Redis is the other)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from exam_engine.models.base import Base


class LoginSession(Base):
    """One signed-in browser: the cookie holds a random key, this row its SHA-256."""

    __tablename__ = "login_sessions"

    # A digest, not the key itself: a leaked table or backup holds no usable cookie.
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
