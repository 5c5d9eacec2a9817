"""OpenITSMS: keeps an ISO/IEC 20000-1:2018 service management system audit-ready."""

import os

__version__ = "0.1.0"

# Polars' memory allocator (jemalloc) keeps freed pages for ten seconds by default. An import
# frees and takes a batch's worth of memory many times a second, so the pages kept would add
# up to a hundred megabytes or more over a large file; giving them back after a second keeps
# the peak lower at little cost (immediately costs a quarter of the import's time; see
# docs/performance.md). Set here, before Polars is loaded; an explicit setting wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:1000,muzzy_decay_ms:0")
