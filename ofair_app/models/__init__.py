"""SQLModel tables, one module per domain. Importing this package registers them all."""

from ofair_app.models.identity import Locale, User, UserRole
from ofair_app.models.ops import JobRun, JobRunStatus

__all__ = ["JobRun", "JobRunStatus", "Locale", "User", "UserRole"]
