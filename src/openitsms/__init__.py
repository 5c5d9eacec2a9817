"""OpenITSMS: keeps an ISO/IEC 20000-1:2018 service management system audit-ready."""

__version__ = "0.1.0"
