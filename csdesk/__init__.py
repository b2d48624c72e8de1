"""CSDesk core: domain services for one CSM's book of business. Never imports Qt."""

__version__ = "0.1.0"
