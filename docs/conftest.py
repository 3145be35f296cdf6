"""pytest collects the pages' ``>>>`` examples as doctests, not the Sphinx configuration."""

collect_ignore = ["conf.py", "offline_inventory.py", "_build"]
