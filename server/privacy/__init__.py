"""Privacy operations: retention, erasure (GDPR art. 17), export (art. 15) and the access log.

See docs/privacy.md for the data inventory these operate on.
"""
