"""mlcollage: monthly digests of visual paper summaries made from experiments that ran.

Empty on purpose: `mlcollage --help` and a no-op rebuild import nothing heavy. See ARCHITECTURE.md.
"""
